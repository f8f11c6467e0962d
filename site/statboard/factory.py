"""The site's Flask app: `create_app`, its settings read and every feature wired."""

import importlib.util
import logging
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from statboard import DEFAULT_THREADS, ROOT, default_counter_threads, settings


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
    config, test_config_class = load_config_classes()
    # The settings file (STATBOARD_CONFIG, else instance/statboard.env) and the
    # environment over it; the suite's apps read no instance folder's file.
    sources = settings.read(known_settings(config), default_file=test_config is None)
    app = Flask(
        __name__,
        # Read before the config (it decides where the config's defaults point).
        instance_path=sources.instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = DatabaseId
    # Defaults (TestConfig's under test), then the file and the STATBOARD_* variables,
    # then test overrides.
    app.config.from_object(test_config_class if test_config is not None else config)
    settings.apply(app.config, sources)
    app.extensions["statboard.settings"] = sources
    if test_config:
        app.config.from_mapping(test_config)
    _derive_settings(app)
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per outgoing request or per Alembic plugin drowns the change log.
    for chatty in ("httpx", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)

    from statboard import assets, checks, counters, health, security
    from statboard.extensions import Commands, init_extensions, pool_options
    from statboard.features import FEATURES

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", pool_options(app.config))
    app.cli = Commands(app.name)
    init_extensions(app)
    assets.init_app(app)  # fingerprinted static files, compression
    for feature in FEATURES:
        feature.init_app(app)
    security.init_app(app)
    health.init_app(app)  # the probes answer before the rest of the site
    counters.in_front(app)  # last: counter requests pass no other middleware
    checks.init_app(app)
    return app


def known_settings(config) -> set[str]:
    return {name for name in dir(config) if name.isupper()}


def _derive_settings(app):
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SITE_URL"):  # what is served, unless an address is set
        host, port = app.config["HOST"], app.config["PORT"]
        app.config["SITE_URL"] = settings.served_url(host, port, for_people=True)
    if not app.config.get("SECRET_KEY"):
        # Kept per machine: `flask check` asks for one key when machines share a database.
        app.extensions["statboard.secret_key_file"] = Path(app.instance_path) / "secret_key"
        app.config["SECRET_KEY"] = _instance_secret(app.extensions["statboard.secret_key_file"])
    if not int(app.config.get("SERVER_THREADS") or 0):
        app.config["SERVER_THREADS"] = DEFAULT_THREADS
    if not int(app.config.get("COUNTER_SERVER_THREADS") or 0):
        app.config["COUNTER_SERVER_THREADS"] = default_counter_threads()
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
