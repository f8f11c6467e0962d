"""Two places to keep uploaded files, behind one small interface.

`from_url(url)` picks the engine: a folder path (the default uploads/, see local.py)
or s3://bucket/prefix?region=..&endpoint=.. for any S3-compatible service (s3.py).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from werkzeug.exceptions import ServiceUnavailable

# Object names are random, so a stored object never changes: browsers may keep it.
CACHE_CONTROL = "public, max-age=31536000, immutable"
PRIVATE_CACHE_CONTROL = "private, max-age=3600"  # files of something private


class StorageUnavailable(ServiceUnavailable):
    """The storage refused a file or could not be reached: a 503 that says so. The
    request's transaction does not commit, and what it stored is deleted again."""

    def __init__(self, reason: str):
        super().__init__(
            f"The image store could not keep the file: {reason}. Nothing was changed; try"
            " again later, or ask the site's operator to check STATBOARD_STORAGE_URL.",
            retry_after=30,
        )


class Storage(Protocol):
    url_id: str  # the URL the storage was made from; a StoredFile keeps it

    def save(self, name: str, data: bytes, content_type: str) -> None:
        """Store bytes under an object name; StorageUnavailable when it cannot."""

    def read(self, name: str) -> bytes:
        """The object's bytes; KeyError when there is no such object."""

    def delete(self, name: str) -> None:
        """Delete the object `name` and every object under `name/`."""

    def listing(self, under: str = "") -> Iterator[tuple[str, float]]:
        """Each top-level name (an object, or the `name` of objects `name/...`) with the
        time its newest object was written, in seconds since the epoch; with `under`,
        the names directly under that folder instead (`under/name`)."""

    def url(self, name: str, private: bool = False) -> str:
        """Where a browser fetches the object; a private one is not kept by shared caches."""

    def ping(self, timeout: float) -> None:
        """Raise when the storage cannot be reached or written within `timeout` seconds;
        cheap, writes nothing (for /readyz: `flask check` writes and deletes an object)."""

    def local_path(self, name: str) -> Path | None:
        """The file the site serves the object from, or None when it is kept elsewhere.

        KeyError for a name that would leave the storage's folder.
        """


def from_url(url: str, *, presigned: bool = True, url_seconds: int = 86400) -> Storage:
    """The storage of a STATBOARD_STORAGE_URL; ValueError saying what to set otherwise."""
    if url.startswith("s3://"):
        from statboard.storage.engines.s3 import S3Storage  # boto3 stays optional

        return S3Storage(url, presigned=presigned, url_seconds=url_seconds)
    if "://" in url:
        raise ValueError(
            f"STATBOARD_STORAGE_URL {url!r} is neither a folder nor s3://bucket/prefix; "
            "set it to one of those."
        )
    from statboard.storage.engines.local import LocalStorage

    return LocalStorage(url)
