"""Removing stored objects that no StoredFile refers to.

Objects are written before the row that names them is committed, and deleted after
the commit that deletes the row; a server killed in between leaves objects that no
row will ever name. The leader of the periodic jobs sweeps them when it takes the lead
(each start, on one machine) and every SWEEP_SECONDS once they are SWEEP_GRACE_SECONDS
old: younger ones may belong to an upload still
on its way to its commit.

Only names the site makes (store_image's random keys) are ever swept, so a storage
folder or bucket prefix holding something else loses nothing else.
"""

import logging
import re
import time

from flask import current_app

from statboard.extensions import db
from statboard.storage import current, storage_for
from statboard.storage.engines import Storage
from statboard.storage.models import StoredFile
from statboard.tasks.schedule import every

log = logging.getLogger(__name__)
KEY = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16), as store_image names objects
CHUNK = 500  # keys per query, well below every database's limit on bound values


@every("SWEEP_SECONDS", name="storage.sweep", at_start=True)
def sweep_job() -> None:
    sweep(current_app.config["SWEEP_GRACE_SECONDS"])


def sweep(grace: float) -> list[str]:
    """Sweep the current storage and every storage a StoredFile is kept in; returns the
    names removed. A storage that cannot be reached is logged and skipped."""
    urls = {current().url_id, *db.session.scalars(db.select(StoredFile.storage).distinct())}
    removed = []
    for url in sorted(urls):
        try:
            removed += sweep_storage(storage_for(url), grace)
        except Exception:
            log.exception("could not sweep the storage %s; trying again next time", url)
    return removed


def sweep_storage(storage: Storage, grace: float) -> list[str]:
    """Delete the keys of `storage` older than `grace` seconds that no StoredFile names."""
    now = time.time()
    old = [
        name
        for name, written in storage.listing()
        if KEY.fullmatch(name) and now - written >= grace
    ]
    known = set()
    for start in range(0, len(old), CHUNK):
        chunk = old[start : start + CHUNK]
        known.update(db.session.scalars(db.select(StoredFile.key).where(StoredFile.key.in_(chunk))))
    orphans = [name for name in old if name not in known]
    for name in orphans:
        storage.delete(name)
    if orphans:
        log.info("swept %d unreferenced stored object(s) from %s", len(orphans), storage.url_id)
    return orphans
