"""Flask extensions as module-level singletons, bound in create_app."""

import sqlite3
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

import click
from flask import g, has_app_context, has_request_context, request
from flask.cli import AppGroup
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from werkzeug.utils import import_string

from statboard import ROOT, forms, sqlite_writers

# Named constraints, so that Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login = LoginManager()
csrf = CSRFProtect()


def init_extensions(app):
    db.init_app(app)
    app.cli.later("db", lambda: migration_commands(app))
    login.init_app(app)
    csrf.init_app(app)
    forms.init_app(app)  # the template's csrf_token(), signed to the minute


def migrations(app):
    """Flask-Migrate on `app` (what `flask_migrate.upgrade()` and the `flask db`
    commands use), bound when a process migrates: Alembic, its template engine and every
    SQL dialect it knows weigh 10 MB that a serving worker never uses."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate  # only a process that migrates loads Alembic

        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    return app.extensions["migrate"]


def migration_commands(app) -> click.Group:
    """`flask db ...`: Flask-Migrate's commands (see migrations())."""
    migrations(app)
    from flask_migrate.cli import db as commands  # Alembic, only when they are asked for

    return commands


class Commands(AppGroup):
    """The app's `flask` commands (`app.cli`), some of them loaded only when one is asked
    for: `app.cli.later(name, load)`, where `load` says where the command is
    ("module:attribute") or is a function that returns it."""

    def __init__(self, name: str):
        super().__init__(name)
        self.loaders: dict[str, Callable[[], click.Command]] = {}

    def later(self, name: str, load: str | Callable[[], click.Command]) -> None:
        self.loaders[name] = partial(import_string, load) if isinstance(load, str) else load

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.loaders})

    def get_command(self, ctx, name: str) -> click.Command | None:
        if name in self.loaders:
            self.add_command(self.loaders.pop(name)(), name)
        return super().get_command(ctx, name)


SQLITE_BUSY_SECONDS = 15  # how long a SQLite writer waits for the one before it
# A file's writers of one process take turns (sqlite_writers), the others wait in SQLite.
SQLITE_CONNECT = {"timeout": SQLITE_BUSY_SECONDS, "factory": sqlite_writers.Connection}
THREADS_HOLDING_A_CONNECTION = ("SERVER_THREADS", "TASK_THREADS", "TASK_ANONYMOUS_THREADS")


def pool_options(config) -> dict:
    """Engine options of the site's pool: one connection for every thread that may hold one.

    A request (SERVER_THREADS of them at once) and a task (TASK_THREADS and
    TASK_ANONYMOUS_THREADS) each hold at most one connection of this pool, and never
    wait for a second one from it: the task runner's records and the counter store
    have pools of their own (`side_engine`).
    An in-memory SQLite database is one shared connection and takes no pool options.
    """
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {}
    threads = sum(int(config[name]) for name in THREADS_HOLDING_A_CONNECTION)
    options = {"pool_size": threads, "max_overflow": int(config["DB_POOL_SPARE"])}
    if url.get_backend_name() == "sqlite":
        options["connect_args"] = dict(SQLITE_CONNECT)
    return options


def side_engine(app, pool_size: int) -> Engine:
    """An engine on the site's database with a small pool of its own.

    For work that a request or a task does while it holds a connection of the site's
    pool: taking a second connection from that same pool could wait for ever once every
    connection is held by someone waiting. An in-memory SQLite database lives in its
    one connection, so it is shared instead.
    """
    with app.app_context():
        main = db.engine
    if isinstance(main.pool, (StaticPool, SingletonThreadPool)):
        return main
    options = {"connect_args": dict(SQLITE_CONNECT)} if main.name == "sqlite" else {}
    return create_engine(main.url, pool_size=pool_size, max_overflow=pool_size, **options)


@event.listens_for(Engine, "connect")
def _sqlite_wal(dbapi_connection, _record) -> None:
    """Every SQLite connection waits SQLITE_BUSY_SECONDS for a writer before it; a file
    is in WAL mode (readers and the one writer do not wait for each other) and syncs at
    checkpoints only (synchronous=NORMAL: a commit survives a crash of the process; a
    power cut may lose the last ones, never the database). The site's connections to a
    file take turns to write with the process's others (sqlite_writers)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            path = cursor.execute("PRAGMA database_list").fetchone()[2]
            if path and isinstance(dbapi_connection, sqlite_writers.Connection):
                dbapi_connection.queue_writes(path, SQLITE_BUSY_SECONDS)
            if path:  # a file, not :memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        except Exception:  # another connection is switching it: it will be WAL all the same
            pass
        finally:
            cursor.close()


def once_per_transaction(key: Hashable, load: Callable[[], Any]) -> Any:
    """What `load()` returns, loaded once while the session's transaction lasts: reads
    that many parts of one view share (the alert rules of a page's blocks) ask the
    database once. A commit or rollback ends the transaction, so a view that changes
    something reads it again afterwards; outside an app context it simply loads."""
    if not has_app_context():
        return load()
    memo = g.get("_once_per_transaction")
    current = db.session().get_transaction()  # None before the first statement
    asker = request._get_current_object() if has_request_context() else None
    if memo is None or current is None or memo[0] is not current or memo[1] is not asker:
        memo = g._once_per_transaction = [current, asker, {}]
    if key not in memo[2]:
        memo[2][key] = load()
        memo[0] = db.session().get_transaction()  # begun by load() if there was none
    return memo[2][key]
