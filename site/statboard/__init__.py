"""Statboard: a self-hosted dashboard site of blocks edited in place."""

import importlib.util
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parents[2]


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: ids past a 64-bit column are no route (404), not a
    database overflow (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def load_config_classes():
    """The Config and TestConfig classes of the top-level config.py."""
    spec = importlib.util.spec_from_file_location("statboard_config", ROOT / "config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Config, module.TestConfig


def create_app(test_config=None):
    app = Flask(
        __name__,
        # Read before the config (it decides where the config's defaults point).
        instance_path=os.environ.get("STATBOARD_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = DatabaseId
    config, test_config_class = load_config_classes()
    # Defaults (TestConfig's under test), then STATBOARD_* variables, then test overrides.
    app.config.from_object(test_config_class if test_config is not None else config)
    app.config.from_prefixed_env("STATBOARD")
    if test_config:
        app.config.from_mapping(test_config)
    _derive_settings(app)
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per outgoing request or per Alembic plugin drowns the change log.
    for chatty in ("httpx", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)

    from statboard import security
    from statboard.extensions import init_extensions, pool_options
    from statboard.features import FEATURES

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", pool_options(app.config))
    init_extensions(app)
    for feature in FEATURES:
        feature.init_app(app)
    security.init_app(app)  # last: around the counter API that counters mounted in front
    return app


def _derive_settings(app):
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if app.config.get("LIVE_PORT") is None:
        app.config["LIVE_PORT"] = int(app.config["PORT"]) + 1
    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'statboard.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    storage = app.config["STORAGE_URL"]
    if "://" not in storage and not Path(storage).is_absolute():
        app.config["STORAGE_URL"] = str(ROOT / storage)


def _instance_secret(path: Path) -> str:
    """A random secret kept in the instance folder, made on first use."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
