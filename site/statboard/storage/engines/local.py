"""Uploads in a folder on the site's disk (the default: uploads/)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from werkzeug.security import safe_join

from statboard.storage.engines import StorageUnavailable


class LocalStorage:
    """Files in a folder on the site's disk, served by the site at /uploads/<name>."""

    def __init__(self, url: str):
        self.url_id = url
        self.root = Path(url)

    def local_path(self, name: str) -> Path:
        """The file of an object name; names that would leave the folder raise KeyError."""
        joined = safe_join(str(self.root), name)
        if joined is None:
            raise KeyError(name)
        return Path(joined)

    def ping(self, timeout: float) -> None:
        folder = self.root if self.root.exists() else self.root.parent  # save() makes it
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"{folder} is not writable")

    def save(self, name: str, data: bytes, content_type: str) -> None:
        path = self.local_path(name)
        tmp = path.with_name(path.name + ".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as error:  # not writable, full, not a folder
            raise StorageUnavailable(f"{self.root} cannot be written ({error.strerror})") from error

    def read(self, name: str) -> bytes:
        path = self.local_path(name)
        if not path.is_file():
            raise KeyError(name)
        return path.read_bytes()

    def delete(self, name: str) -> None:
        path = self.local_path(name)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def url(self, name: str, private: bool = False) -> str:
        return "/uploads/" + quote(name)  # the route itself says whether it is private

    def listing(self, under: str = "") -> Iterator[tuple[str, float]]:
        folder = self.local_path(under) if under else self.root
        if not folder.is_dir():
            return
        for entry in folder.iterdir():
            try:
                # A folder's own time counts: a save may have made it and nothing yet.
                written = max(path.lstat().st_mtime for path in [entry, *entry.rglob("*")])
            except FileNotFoundError:  # deleted while we looked
                continue
            yield (f"{under}/{entry.name}" if under else entry.name), written
