"""The sweep of what a killed server leaves behind: stored objects no StoredFile names
(on both storage engines) and import uploads no unfinished task will read."""

import os
import secrets
import time
import uuid

import pytest
from statboard import storage
from statboard.extensions import db
from statboard.series.uploads import IMPORTS, sweep_uploads
from statboard.storage.sweep import sweep
from statboard.storage.uploads import discard, store_image
from statboard.tasks.models import FAILURE, QUEUED, STARTED, Task

from tests.fixtures.images import picture, s3_storage_url

HOUR = 3600


@pytest.fixture(params=["local", "s3"])
def engine(request, settings):
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        settings["STORAGE_URL"] = s3_storage_url(endpoint, prefix=f"sweep-{uuid.uuid4().hex}")
    return request.param


def leave_orphan(store) -> str:
    """Objects written as store_image writes them, for a row that never commits."""
    key = secrets.token_hex(16)
    store.save(f"{key}/original.png", picture(), "image/png")
    store.save(f"{key}/w480.webp", b"thumbnail", "image/webp")
    return key


def names(store) -> set[str]:
    return {name for name, _ in store.listing()}


def test_the_listing_names_each_key_once_with_its_newest_write(engine, app):
    with app.app_context():
        store = storage.current()
        before = time.time()
        key = leave_orphan(store)
        listed = dict(store.listing())
        assert list(listed) == [key]
        assert before - 2 <= listed[key] <= time.time() + 2


def test_sweep_removes_old_objects_no_row_names_and_keeps_the_rest(engine, app):
    with app.app_context():
        store = storage.current()
        kept = store_image(picture(), "kept.png")
        gone = store_image(picture(color="red"), "gone.png")
        db.session.commit()
        # A deletion whose objects were never deleted: the server died after the commit.
        db.session.delete(gone)
        db.session.commit()
        orphan = leave_orphan(store)
        store.save("notes.txt", b"not one of the site's objects", "text/plain")

        # Young objects may belong to an upload on its way to its commit.
        assert sweep(grace=HOUR) == []
        assert names(store) == {kept.key, gone.key, orphan, "notes.txt"}

        assert sorted(sweep(grace=0)) == sorted([gone.key, orphan])
        assert names(store) == {kept.key, "notes.txt"}
        assert store.read(f"{kept.key}/original.png")
        for name in kept.variants.values():
            assert store.read(name)
        assert sweep(grace=0) == []


def test_sweep_goes_by_the_age_of_the_newest_object(app, settings):
    with app.app_context():
        store = storage.current()
        old, fresh = leave_orphan(store), leave_orphan(store)
        past = time.time() - 2 * HOUR
        for key in (old, fresh):
            for path in [store.local_path(key), *store.local_path(key).rglob("*")]:
                os.utime(path, (past, past))
        # A thumbnail written just now: the upload of `fresh` is still going on.
        store.save(f"{fresh}/w960.webp", b"thumbnail", "image/webp")
        assert sweep(grace=HOUR) == [old]
        assert names(store) == {fresh}


def test_sweep_reaches_storages_rows_still_name(app, settings, tmp_path):
    """Objects left in the storage of an earlier STORAGE_URL are swept too."""
    with app.app_context():
        earlier = storage.storage_for(str(tmp_path / "earlier"))
        kept_key, orphan = leave_orphan(earlier), leave_orphan(earlier)
        db.session.add(
            storage.models.StoredFile(
                storage=earlier.url_id,
                key=kept_key,
                content_type="image/png",
                width=800,
                height=600,
                size=1,
                variants={"480": f"{kept_key}/w480.webp"},
            )
        )
        db.session.commit()
        assert sweep(grace=0) == [orphan]
        assert names(earlier) == {kept_key}


def test_discard_of_a_row_expired_by_a_commit_deletes_its_objects_after_the_next(app):
    with app.app_context():
        stored = store_image(picture(), "gone.png")
        db.session.commit()  # expires the row's attributes
        key = stored.key
        db.session.expire(stored)
        discard(stored)
        assert key in names(storage.current())  # not before the commit
        db.session.commit()
        assert names(storage.current()) == set()
        assert sweep(grace=0) == []


# --- import uploads ------------------------------------------------------------------


def upload(name: str, age: float = 0) -> str:
    """An import upload kept as the site keeps one, written `age` seconds ago."""
    key = f"{IMPORTS}/{name}"
    storage.current().save(key, b"handle,date,count\n", "text/csv")
    if age:
        path = storage.current().local_path(key)
        os.utime(path, (time.time() - age, time.time() - age))
    return key


def import_task(key, state: str) -> Task:
    return Task(id=str(uuid.uuid4()), kind="series.import", state=state, args={"key": key})


def test_stale_import_uploads_are_swept(app):
    with app.app_context():
        app.config["SWEEP_GRACE_SECONDS"] = HOUR
        stale = upload("killed.zip", age=2 * HOUR)
        failed = upload("failed.csv", age=2 * HOUR)  # its task ended, interrupted
        queued = upload("queued.zip", age=2 * HOUR)  # waits for a busy worker
        running = upload("running.csv", age=2 * HOUR)
        fresh = upload("fresh.csv")  # just uploaded: its task is being submitted
        db.session.add_all(
            [
                import_task(failed, FAILURE),
                import_task(queued, QUEUED),
                import_task(running, STARTED),
            ]
        )
        db.session.commit()
        assert sorted(sweep_uploads()) == sorted([stale, failed])
        left = {name for name, _ in storage.current().listing(IMPORTS)}
        assert left == {queued, running, fresh}
