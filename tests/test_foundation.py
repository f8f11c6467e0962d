"""The spine: settings, the after-commit queue, the task runner, migrations."""

import subprocess
import sys

import pytest
from flask import g
from statboard import create_app
from statboard.extensions import db
from statboard.notify import after_commit
from statboard.pages.models import Page

from tests.conftest import make_settings
from tests.fixtures.servers import ROOT


def test_settings_come_from_the_statboard_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STATBOARD_SITE_NAME", "Wall")
    monkeypatch.setenv("STATBOARD_WORKERS", "3")
    app = create_app(make_settings(tmp_path))
    assert app.config["SITE_NAME"] == "Wall"
    assert app.config["WORKERS"] == 3


def test_secret_key_is_generated_once_and_kept(tmp_path):
    settings = make_settings(tmp_path, SECRET_KEY=None)
    first = create_app(settings)
    second = create_app(settings)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32


def test_after_commit_runs_in_order_only_after_commit(app):
    fired = []
    with app.test_request_context():
        db.session.add(Page(slug="a", title="A"))
        after_commit(fired.append, 1)
        after_commit(fired.append, 2)
        db.session.add(Page(slug="b", title="B"))
        after_commit(fired.append, 3)
        assert fired == []
        db.session.commit()
        assert fired == [1, 2, 3]
        assert "after_commit_queue" not in g or not g.after_commit_queue


def test_rollback_discards_queued_calls(app):
    fired = []
    with app.test_request_context():
        db.session.add(Page(slug="a", title="A"))
        after_commit(fired.append, "lost")
        db.session.rollback()
        db.session.add(Page(slug="b", title="B"))
        after_commit(fired.append, "kept")
        db.session.commit()
    assert fired == ["kept"]


def test_a_failing_notification_does_not_stop_the_next(app):
    fired = []

    def broken():
        raise RuntimeError("mail server on fire")

    with app.test_request_context():
        db.session.add(Page(slug="a", title="A"))
        after_commit(broken)
        after_commit(fired.append, "after")
        db.session.commit()
    assert fired == ["after"]
    with app.app_context():
        assert db.session.scalar(db.select(Page.slug)) == "a"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_migrations_build_the_models_schema(engine, tmp_path, request):
    """`flask db upgrade` on an empty database gives exactly the models' schema."""
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    env = {"STATBOARD_DATABASE_URL": url, "STATBOARD_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    flask = [sys.executable, "-m", "flask", "--app", "statboard", "db"]
    upgrade = subprocess.run([*flask, "upgrade"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    check = subprocess.run([*flask, "check"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_migrating_inside_a_process_keeps_its_change_log(tmp_path, caplog):
    """run.py --migrate and restore upgrade in-process: the change log must still log."""
    import flask_migrate
    from statboard import notify
    from statboard.extensions import migrations

    app = create_app(make_settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}"))
    migrations(app)  # as statboard/prepare.py binds it before it upgrades
    with app.app_context():
        flask_migrate.upgrade()
    with app.test_request_context(), caplog.at_level("INFO", logger="statboard.changes"):
        db.session.add(Page(slug="logged", title="Logged"))
        notify.announce(None, "added", "text block 1")
        db.session.commit()
    assert "added text block 1" in caplog.text
