"""Backup and restore: a site with every kind of data on SQLite and a folder, backed up,
restored on PostgreSQL and moto's S3 server (and back on SQLite and a folder), compared
row by row and byte by byte; damaged, wrong and misplaced restores change nothing."""

import io
import json
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from statboard import storage
from statboard.alerts.models import AlertEvent, AlertRule
from statboard.auth.models import LoginSession, User
from statboard.counters import store as counter_store
from statboard.counters.models import CounterHistory
from statboard.extensions import db
from statboard.hosts.models import HostRollup, HostSample, RemoteCheck, RemoteHost
from statboard.notify.models import ChangeBatch, NotifyChannel, NotifyChoice
from statboard.storage.models import StoredFile
from statboard.storage.uploads import original_object
from statboard.tasks.models import ScheduledRun, Task

from tests.conftest import AuthActions, gen_user, make_settings
from tests.fixtures.images import make_block, picture, s3_storage_url, upload
from tests.fixtures.servers import fresh_database
from tests.series_helpers import daily, gen_account, gen_chart, gen_token, grant
from tests.test_notify_mail import tasks_done

HTMX = {"HX-Request": "true"}


def site_settings(folder, **overrides) -> dict:
    folder.mkdir(exist_ok=True)
    return make_settings(folder, **overrides)


def migrated(app):
    """The app's database brought to the head revision, as an operator does it."""
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


def fill(app):
    """Every kind of data, made the way the site makes it where a helper does."""
    client = app.test_client()
    auth = AuthActions(app, client)
    headers = {**auth.csrf(), **HTMX}
    auth.login_admin()  # a user with a password hash, and a login session
    gen_user(app, "alice")
    gen_token(app, "alice")
    make_block(app, "text", {"html": "<p>Hello, <b>world</b> — ünïcode</p>"})
    image = make_block(app, "image", {"file_id": None, "alt": "Logo", "caption": ""})
    answer = upload(client, image, picture(), alt="Logo", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[-600:]
    gallery = make_block(app, "gallery", {"title": "Trips", "items": []}, slug="trips")
    files = [
        (io.BytesIO(picture("JPEG", color=(200, 10, 10))), "a.jpg"),
        (io.BytesIO(picture("GIF")), "b.gif"),
    ]
    answer = client.post(
        f"/blocks/{gallery}/items", data={"version": "1", "files": files}, headers=headers
    )
    assert answer.status_code == 200
    for slug, new in (("trips", "journeys"), ("journeys", "trips")):  # an earlier address
        settings = {"title": "Trips", "slug": new, "is_public": "y"}
        answer = client.put(f"/pages/{slug}/settings", data=settings, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)[-600:]
    account = gen_account(app, samples=daily(30), public=True)
    gen_chart(app, [account])
    grant(app, account, "alice")
    hosts_block = make_block(app, "remote_hosts", {"title": "Others"})
    now = datetime(2026, 3, 1, 12, 0, 0, 123456)
    with app.app_context():
        db.session.add(HostSample(at=now, cpu=12.5, mem=40.25, load1=0.3))
        db.session.add(HostRollup(resolution=60, at=now, cpu=11.0, samples=4))
        host = RemoteHost(block_id=hosts_block, name="db", url="http://db.test/", state="up")
        host.checks.append(RemoteCheck(at=now, up=True, latency_ms=3.25, status_code=200))
        db.session.add(host)
        db.session.add(
            CounterHistory(key="song/1", resolution="hour", start=now.replace(minute=0), total=3)
        )
        admin_id = db.session.scalar(select(LoginSession.user_id))
        db.session.add(NotifyChoice(user_id=admin_id, mode="digest", pages=[1]))
        db.session.add(ChangeBatch(batch="b1", group="page:1", records=[{"what": "x"}]))
        db.session.add(NotifyChannel(user_id=admin_id, url="json://127.0.0.1:9/hook?+X-Token=s"))
        db.session.add(ScheduledRun(name="hosts.sample", last_run=1772366400.25, runs=3))
        rule = AlertRule(
            block_id=hosts_block, metric="down", span=3, active={"1": {"since": "x"}}, memo={}
        )
        rule.events.append(AlertEvent(block_id=hosts_block, target="1", event="fired", at=now))
        db.session.add(rule)
        db.session.add(
            Task(id="t1", kind="series.import", owner_id=admin_id, state="done", result={"n": 3})
        )
        db.session.commit()
    tasks_done(app)  # the change mails of the renames store their batches after the commit
    with app.app_context():
        # Pending in the write-behind, not in the tables yet: the backup flushes it.
        counter_store().incr("song/1", 7)
        counter_store().incr("visits", 2)


def table_rows(app) -> dict[str, list[dict]]:
    with app.app_context():
        return {
            table.name: [
                dict(row._mapping)
                for row in db.session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


def stored_objects(app) -> dict[str, bytes]:
    with app.app_context():
        found = {}
        for stored in db.session.scalars(select(StoredFile)):
            for name in [original_object(stored), *stored.variants.values()]:
                found[name] = storage.storage_for(stored.storage).read(name)
        return found


def storage_url(app) -> str:
    return app.config["STORAGE_URL"]


def assert_same_site(source, target):
    before, after = table_rows(source), table_rows(target)
    assert before.keys() == after.keys()
    for name in before:
        if name == StoredFile.__tablename__:  # each file names the storage that holds it
            assert {row.pop("storage") for row in after[name]} == {storage_url(target)}
            for row in before[name]:
                row.pop("storage")
        assert before[name] == after[name], name
    assert stored_objects(source) == stored_objects(target)


def backup(app, path):
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return result


def restore(app, path):
    return app.test_cli_runner().invoke(args=["restore", str(path)])


@pytest.fixture
def source(apps, tmp_path):
    app = migrated(apps(site_settings(tmp_path / "source")))
    fill(app)
    return app


@pytest.fixture
def archive(source, tmp_path):
    path = tmp_path / "site.zip"
    result = backup(source, path)
    assert "Backed up" in result.stdout and "to " + str(path) in result.stdout
    assert "Backing up" in result.stderr and "Backing up" not in result.stdout
    return path


def sqlite_target(apps, tmp_path, name="target"):
    return migrated(apps(site_settings(tmp_path / name)))


def test_backup_holds_every_table_and_file(source, archive):
    with zipfile.ZipFile(archive) as made:
        manifest = json.loads(made.read("manifest.json"))
        with source.app_context():
            assert set(manifest["tables"]) == {t.name for t in db.metadata.sorted_tables}
        counters = [json.loads(line) for line in made.read("tables/counters.jsonl").splitlines()]
    assert {c["key"]: c["value"] for c in counters} == {"song/1": 7, "visits": 2}
    empty = [name for name, table in manifest["tables"].items() if table["rows"] == 0]
    assert empty == []  # the site holds every kind of data
    assert len(manifest["files"]) == len(stored_objects(source)) >= 6


def test_restore_on_postgresql_and_s3_then_back_on_sqlite(
    source, archive, apps, tmp_path, postgres_url, s3_endpoint, redis_url
):
    stamp = datetime.now().timestamp()
    settings = site_settings(
        tmp_path / "pg",
        DATABASE_URL=fresh_database(postgres_url, "backup_target"),
        STORAGE_URL=s3_storage_url(s3_endpoint, prefix=f"backup{stamp}"),
        COUNTERS_URL=redis_url,
        COUNTER_REDIS_NAMESPACE=f"backup{stamp}:",
    )
    target = migrated(apps(settings))
    result = restore(target, archive)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.stdout and "Tables" in result.stderr  # the progress bars
    assert_same_site(source, target)
    with target.app_context():  # Redis holds the values the counters table had
        assert counter_store().all() == {"song/1": 7, "visits": 2}

    # Each serial id goes on after the largest one restored.
    with target.app_context():
        largest = {t: db.session.scalar(select(func.max(t.id))) for t in (HostSample, User)}
        sample, user = (
            HostSample(at=datetime(2026, 3, 2)),
            User(username="new", fullname="N", password_hash="x"),
        )
        db.session.add_all([sample, user])
        db.session.flush()
        assert (sample.id, user.id) == (largest[HostSample] + 1, largest[User] + 1)
        db.session.rollback()

    again = tmp_path / "again.zip"
    backup(target, again)
    back = sqlite_target(apps, tmp_path, "back")
    result = restore(back, again)
    assert result.exit_code == 0, result.output
    assert_same_site(source, back)


def corrupt(archive, path, entry, change):
    """A copy of the archive with one entry's bytes changed, the zip itself well made."""
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, change(data) if item.filename == entry else data)
    return path


def escaping_name(data):
    manifest = json.loads(data)
    manifest["files"][0]["name"] = "../../outside.png"
    return json.dumps(manifest).encode()


def other_zip(path):
    with zipfile.ZipFile(path, "w") as made:
        made.writestr("readme.txt", "photos from the trip")
    return path


def bump_format(data):
    manifest = json.loads(data)
    manifest["format"] = 99
    return json.dumps(manifest).encode()


def old_schema(data):
    manifest = json.loads(data)
    manifest["schema"] = "0001"
    return json.dumps(manifest).encode()


def flip_bytes(path, out):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda a, p: flip_bytes(a, p), "damaged"),
        (lambda a, p: p.write_bytes(b"not a zip at all") and p, "not a zip archive"),
        (
            lambda a, p: corrupt(
                a, p, "tables/blocks.jsonl", lambda d: d.replace(b"world", b"earth")
            ),
            "does not match its checksum",
        ),
        (lambda a, p: other_zip(p), "no readable manifest.json"),
        (lambda a, p: corrupt(a, p, "manifest.json", bump_format), "format 99"),
        (lambda a, p: corrupt(a, p, "manifest.json", old_schema), "schema revision '0001'"),
        (lambda a, p: corrupt(a, p, "manifest.json", lambda d: b"{"), "no readable manifest"),
        (lambda a, p: corrupt(a, p, "manifest.json", escaping_name), "no readable manifest"),
    ],
    ids=[
        "flipped-bytes",
        "not-a-zip",
        "checksum",
        "other-zip",
        "format",
        "schema",
        "manifest",
        "escaping-name",
    ],
)
def test_a_wrong_or_damaged_archive_restores_nothing(archive, apps, tmp_path, damage, says):
    bad = damage(archive, tmp_path / "bad.zip")
    target = sqlite_target(apps, tmp_path)
    result = restore(target, bad)
    assert result.exit_code == 1
    assert says in result.output and "Nothing was restored." in result.output
    assert all(rows == [] for rows in table_rows(target).values())
    assert not (tmp_path / "target" / "uploads").exists() or not any(
        (tmp_path / "target" / "uploads").iterdir()
    )


def test_a_non_empty_target_is_refused_and_left_alone(archive, apps, tmp_path):
    target = sqlite_target(apps, tmp_path)
    gen_user(target, "bob")
    before = table_rows(target)
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "The database is not empty (the tables users have rows)" in result.output
    assert table_rows(target) == before


def test_a_storage_holding_files_is_refused(archive, apps, tmp_path):
    target = sqlite_target(apps, tmp_path)
    with target.app_context():
        storage.current().save("stray/original.png", b"x", "image/png")
    result = restore(target, archive)
    assert result.exit_code == 1 and "is not empty" in result.output
    assert all(rows == [] for rows in table_rows(target).values())


def test_a_failed_commit_removes_the_files_it_wrote(archive, apps, tmp_path):
    """The files are written once the rows are in; a commit that fails takes them away."""
    target = sqlite_target(apps, tmp_path)
    uploads = tmp_path / "target" / "uploads"
    seen = []

    def refuse(session):
        seen.extend(path for path in uploads.rglob("*") if path.is_file())
        raise OperationalError("COMMIT", {}, OSError("disk I/O error"))

    with target.app_context():
        event.listen(db.session, "before_commit", refuse)
        try:
            result = restore(target, archive)
        finally:
            event.remove(db.session, "before_commit", refuse)
    assert result.exit_code == 1
    assert "The database refused the restore" in result.output
    assert "Nothing was restored." in result.output
    with zipfile.ZipFile(archive) as made:
        assert len(seen) == len(json.loads(made.read("manifest.json"))["files"]) > 0
    assert all(rows == [] for rows in table_rows(target).values())
    assert not any(path.is_file() for path in uploads.rglob("*"))


def test_missing_tables_say_to_upgrade(archive, apps, tmp_path):
    target = apps(site_settings(tmp_path / "bare"))
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "run `flask --app statboard db upgrade` first" in result.output


def test_a_database_at_another_revision_says_to_upgrade(archive, apps, tmp_path):
    target = sqlite_target(apps, tmp_path)
    result = target.test_cli_runner().invoke(args=["db", "downgrade"])
    assert result.exit_code == 0, result.output
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "The database is at schema revision" in result.output
    assert "run `flask --app statboard db upgrade` first" in result.output


def test_a_missing_bucket_is_refused_with_a_sentence(archive, apps, tmp_path, s3_endpoint):
    bucket = f"s3://no-such-bucket/site?region=us-east-1&endpoint={s3_endpoint}"
    target = migrated(apps(site_settings(tmp_path / "nobucket", STORAGE_URL=bucket)))
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "The storage s3://no-such-bucket/site" in result.output
    assert "check that its folder or bucket exists" in result.output
    assert all(rows == [] for rows in table_rows(target).values())


def test_a_backup_missing_a_stored_file_says_which(source, tmp_path):
    with source.app_context():
        stored = db.session.scalars(select(StoredFile)).first()
        name = original_object(stored)
        storage.storage_for(stored.storage).local_path(name).unlink()
    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "site.zip")])
    assert result.exit_code == 1
    assert f"The stored file {name} is missing" in result.output
    assert not list(tmp_path.glob("site.zip*"))  # no archive, whole or in part
