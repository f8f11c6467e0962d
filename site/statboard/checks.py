"""What a process needs before it can work: `flask --app statboard check`, and the same
checks when each process starts (`start_checks`).

Each check returns the problems it found, each one sentence that says what to do.
The site starts with warnings where it can still serve pages; a process that cannot
work (any of them without its database, the counter server without its Redis, a
Celery worker without the settings its tasks need) refuses to start.
"""

import logging
import os
import secrets
import smtplib
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import SQLAlchemyError

from statboard import ROOT, storage
from statboard.extensions import db
from statboard.reach import TIMEOUT, reason, site_id, site_url_problem
from statboard.storage.engines import StorageUnavailable

REDIS_SETTINGS = ("COUNTERS_URL", "BROKER_URL", "TASKS_URL", "LOGIN_LIMITS_URL")
UPGRADE = "run `flask --app statboard db upgrade` (or start with `python run.py --migrate`)"


class Problem:
    """One thing to fix: its check's name (`flask check --skip NAME`), the sentence
    that says what to do, and the settings at fault."""

    def __init__(self, check: str, sentence: str, *settings: str):
        self.check, self.sentence, self.settings = check, sentence, set(settings)

    def __repr__(self) -> str:
        return f"Problem({self.check!r}, {self.sentence!r})"


def shown_database(app) -> str:
    """The database URL without its password."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def shared_database(app) -> bool:
    """Whether other machines may use this database (anything but SQLite)."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite"


# --- the checks ------------------------------------------------------------------------


def check_database(app) -> list[Problem]:
    # Alembic only where the database is checked, not in every worker (extensions.migrations)
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    shown = shown_database(app)
    alembic_log = logging.getLogger("alembic.runtime.migration")
    alembic_log.setLevel(logging.WARNING)  # its "Context impl" lines say nothing here
    try:
        with app.app_context(), db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            tables = set(inspect(connection).get_table_names())
    except SQLAlchemyError as error:
        return [
            Problem(
                "database",
                f"The database {shown} does not answer ({reason(error)}): start it, "
                "or fix STATBOARD_DATABASE_URL.",
                "DATABASE_URL",
            )
        ]
    script = ScriptDirectory(str(ROOT / "migrations"))
    heads = set(script.get_heads())
    if current == heads:
        return []
    if not current:
        if set(db.metadata.tables) <= tables:
            return []  # made from the models themselves (create_all), as the tests do
        return [Problem("database", f"The database {shown} has no tables yet: {UPGRADE}.")]
    revisions = ", ".join(sorted(current))
    if current - {revision.revision for revision in script.walk_revisions()}:
        return [
            Problem(
                "database",
                f"The database {shown} is at revision {revisions}, which this checkout does "
                "not know: update it to the version that migrated the database.",
            )
        ]
    return [
        Problem(
            "database",
            f"The database {shown} is at revision {revisions}, not at "
            f"{', '.join(sorted(heads))}, the latest: {UPGRADE}.",
        )
    ]


def check_secret_key(app) -> list[Problem]:
    made = app.extensions.get("statboard.secret_key_file")
    if not made or not shared_database(app):
        return []
    return [
        Problem(
            "secret-key",
            f"The secret key comes from this machine's {made} while the database is shared: "
            "set STATBOARD_SECRET_KEY to one long random value for every process "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`).",
            "SECRET_KEY",
        )
    ]


def check_storage(app) -> list[Problem]:
    url = app.config["STORAGE_URL"]
    name = f"statboard-check-{secrets.token_hex(8)}"
    try:
        with app.app_context():
            store = storage.current()
            store.save(name, b"written by `flask check`, then deleted\n", "text/plain")
            store.delete(name)
    except Exception as error:  # any engine's failure: it is reported, not raised
        if isinstance(error, StorageUnavailable) and error.__cause__ is not None:
            error = error.__cause__  # what the engine said, for the sentence's advice
        return [Problem("storage", storage_sentence(url, error), "STORAGE_URL")]
    return []


def storage_sentence(url: str, error: Exception) -> str:
    if not url.startswith("s3://"):
        why = getattr(error, "strerror", None) or reason(error)
        return (
            f"The storage folder {url} is not writable ({why}): create it and let this "
            "user write there, or set STATBOARD_STORAGE_URL."
        )
    bucket = urlsplit(url).netloc
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    if code == "NoSuchBucket":
        return (
            f"The S3 bucket {bucket!r} does not exist: create it "
            f"(`aws s3 mb s3://{bucket}`) or fix STATBOARD_STORAGE_URL."
        )
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return (
            f"The S3 bucket {bucket!r} refuses to let these credentials write ({code}): "
            "give them s3:PutObject and s3:DeleteObject on it, or fix AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY."
        )
    return (
        f"The S3 storage {bucket!r} cannot be written ({reason(error)}): check the endpoint "
        "and region in STATBOARD_STORAGE_URL and the AWS credentials."
    )


def redis_urls(config) -> dict[str, list[str]]:
    """Each Redis URL in use, with the settings that name it."""
    found: dict[str, list[str]] = {}
    for setting in REDIS_SETTINGS:
        url = str(config.get(setting) or "")
        if url.startswith(("redis://", "rediss://", "unix://")):
            found.setdefault(url, []).append(setting)
    return found


def ping_redis(url: str, timeout: float = TIMEOUT) -> None:
    import redis  # only with a redis:// engine

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def check_redis(app) -> list[Problem]:
    problems = []
    for url, settings in redis_urls(app.config).items():
        try:
            ping_redis(url)
        except Exception as error:  # connection, auth, or a server that is not Redis
            where = urlsplit(url).netloc.rpartition("@")[2] or url
            names = " and ".join(f"STATBOARD_{name}" for name in settings)
            problems.append(
                Problem(
                    "redis",
                    f"Redis at {where} ({names}) does not answer ({reason(error)}): "
                    f"start it, or fix {names}.",
                    *settings,
                )
            )
    return problems


def check_mail(app) -> list[Problem]:
    url = app.config.get("MAIL_URL")
    if not url:
        outbox = Path(app.config.get("OUTBOX_DIR") or Path(app.instance_path) / "outbox")
        try:
            outbox.mkdir(parents=True, exist_ok=True)
            writable = os.access(outbox, os.W_OK)
        except OSError:
            writable = False
        if writable:
            return []
        return [
            Problem(
                "mail",
                f"The outbox folder {outbox} is not writable: let this user write there, "
                "or set STATBOARD_MAIL_URL=smtp://host:port.",
                "OUTBOX_DIR",
            )
        ]
    from statboard.notify.smtp import parse_mail_url

    try:
        server = parse_mail_url(url)
    except ValueError as error:
        return [Problem("mail", str(error), "MAIL_URL")]
    where = f"{server.host}:{server.port}"
    try:
        greet_smtp(server, float(app.config["MAIL_TIMEOUT"]))
    except smtplib.SMTPAuthenticationError:
        return [
            Problem(
                "mail",
                f"The SMTP server {where} refuses the user and password of "
                "STATBOARD_MAIL_URL: fix them there.",
                "MAIL_URL",
            )
        ]
    except (OSError, smtplib.SMTPException) as error:
        return [
            Problem(
                "mail",
                f"The SMTP server {where} does not answer ({reason(error)}): start it, "
                "or fix STATBOARD_MAIL_URL.",
                "MAIL_URL",
            )
        ]
    return []


def greet_smtp(server, timeout: float) -> None:
    """Connect, EHLO (STARTTLS and log in when the URL says so), and quit: no mail."""
    context = ssl.create_default_context()
    if server.ssl:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with smtp:
        code, _ = smtp.ehlo()
        if code != 250:
            raise smtplib.SMTPException(f"EHLO answered {code}")
        if server.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.user:
            smtp.login(server.user, server.password or "")


def check_workers(app) -> list[Problem]:
    """Settings that Celery workers on other machines need to be the site's own.

    With Celery and a shared database, workers run on other machines; an embedded
    engine there would be that machine's alone: its mail would go to its own outbox,
    its uploads to its own folder, its live events to nobody.
    """
    config, given = app.config, app.extensions["statboard.settings"].given
    if not str(config["TASKS_URL"]).startswith("redis") or not shared_database(app):
        return []
    problems = []
    if not config.get("MAIL_URL") and "OUTBOX_DIR" not in given:
        problems.append(
            Problem(
                "workers",
                "Celery workers would write the admins' mail into their own "
                "instance/outbox/: set STATBOARD_MAIL_URL=smtp://host:port (the site's SMTP "
                "server), or STATBOARD_OUTBOX_DIR to a folder that the site and every worker "
                "share.",
                "MAIL_URL",
            )
        )
    if "STORAGE_URL" not in given:
        problems.append(
            Problem(
                "workers",
                "Celery workers would keep uploads in their own uploads/ folder: set "
                "STATBOARD_STORAGE_URL=s3://bucket/prefix (or a folder that every machine "
                "mounts).",
                "STORAGE_URL",
            )
        )
    if not str(config["BROKER_URL"]).startswith("redis"):
        problems.append(
            Problem(
                "workers",
                "Celery workers would publish their live events (progress, new samples) "
                "in their own process, where no page hears them: set "
                "STATBOARD_BROKER_URL=redis://host:port/db, as on the site.",
                "BROKER_URL",
            )
        )
    return problems


def check_site_url(app) -> list[Problem]:
    sentence = site_url_problem(app.config["SITE_URL"], site_id(app.config))
    return [Problem("site-url", sentence, "SITE_URL")] if sentence else []


CHECKS: dict[str, Callable] = {
    "database": check_database,
    "secret-key": check_secret_key,
    "storage": check_storage,
    "redis": check_redis,
    "mail": check_mail,
    "workers": check_workers,
    "site-url": check_site_url,
}

# What each process checks at start, and which problems stop it (by check or setting).
AT_START = {
    "site": ("database", "secret-key", "storage", "redis", "mail", "workers"),
    "counters": ("database", "secret-key", "redis"),
    "worker": ("database", "secret-key", "storage", "redis", "mail", "workers"),
}
FATAL = {
    "site": {"database"},
    "counters": {"database", "COUNTERS_URL"},
    "worker": {"database", "workers", "storage", "TASKS_URL"},
}


def run(app, names) -> list[Problem]:
    return [problem for name in names for problem in CHECKS[name](app)]


def start_checks(app, process: str, skip: tuple[str, ...] = ()) -> None:
    """The checks of `process` at its start: warnings on stderr; SystemExit with the
    sentences of the problems that keep it from working."""
    names = [name for name in AT_START[process] if name not in skip]
    problems = run(app, names)
    fatal = [p for p in problems if ({p.check} | p.settings) & FATAL[process]]
    for problem in problems:
        if problem not in fatal:
            print(f"Warning: {problem.sentence}", file=sys.stderr, flush=True)
    if fatal:
        raise SystemExit("\n".join(p.sentence for p in fatal))


def init_app(app) -> None:
    @app.cli.command("check")
    @click.option(
        "--skip",
        multiple=True,
        type=click.Choice(sorted(CHECKS)),
        help="Leave out a check (e.g. site-url before the site is served).",
    )
    def check_command(skip):
        """Check the database, storage, Redis, SMTP, secret key and SITE_URL."""
        from flask import current_app

        names = [name for name in CHECKS if name not in skip]
        problems = run(current_app._get_current_object(), names)
        for problem in problems:
            click.echo(problem.sentence, err=True)
        if problems:
            raise SystemExit(1)
        click.echo(f"All is well: {', '.join(names)}.")
