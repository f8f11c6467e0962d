"""Two places to keep uploaded files, behind one small interface.

    storage.save(name, data, content_type)   # store bytes under an object name
    storage.read(name) -> bytes               # KeyError when there is no such object
    storage.delete(name)                      # the object `name` and everything under `name/`
    storage.url(name) -> str                  # where a browser fetches it

`make_storage(url)` picks the engine: a folder path (the default uploads/) or
s3://bucket/prefix?region=..&endpoint=.. for any S3-compatible service.
"""

import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug.security import safe_join

# Object names are random, so a stored object never changes: browsers may keep it.
CACHE_CONTROL = "public, max-age=31536000, immutable"


class LocalStorage:
    """Files in a folder on the site's disk, served by the site at /uploads/<name>."""

    def __init__(self, url: str):
        self.url_id = url
        self.root = Path(url)

    def path(self, name: str) -> Path:
        """The file of an object name; names that would leave the folder raise KeyError."""
        joined = safe_join(str(self.root), name)
        if joined is None:
            raise KeyError(name)
        return Path(joined)

    def save(self, name: str, data: bytes, content_type: str) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def read(self, name: str) -> bytes:
        path = self.path(name)
        if not path.is_file():
            raise KeyError(name)
        return path.read_bytes()

    def delete(self, name: str) -> None:
        path = self.path(name)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def url(self, name: str) -> str:
        return "/uploads/" + quote(name)


class S3Storage:
    """Objects in an S3 bucket (AWS or any S3-compatible endpoint).

    Credentials come from the standard AWS chain (environment, config files, roles).
    Browsers get presigned URLs, or plain object URLs when the bucket is public.
    """

    def __init__(self, url: str, presigned: bool = True, url_seconds: int = 86400):
        import boto3
        from botocore.config import Config

        parts = urlsplit(url)
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.url_id = url
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.region = options.get("region")
        self.endpoint = options.get("endpoint")
        self.presigned = presigned
        self.url_seconds = url_seconds
        # Path-style addressing works with every S3-compatible server.
        style = "path" if self.endpoint else "auto"
        self.client = boto3.client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            config=Config(s3={"addressing_style": style}, signature_version="s3v4"),
        )
        self._signed: dict[str, tuple[float, str]] = {}

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def save(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(name),
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )

    def read(self, name: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.NoSuchKey:
            raise KeyError(name) from None
        return answer["Body"].read()

    def delete(self, name: str) -> None:
        keys = [self.key(name)]
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(name).rstrip("/") + "/"
        )
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents", [])]
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})

    def url(self, name: str) -> str:
        if not self.presigned:
            return self._public_url(name)
        # Reuse a signature for half its life, so pages keep the same URL and
        # browsers their cached copy.
        now = time.time()
        made, url = self._signed.get(name, (0.0, ""))
        if now - made > self.url_seconds / 2:
            url = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self.key(name)},
                ExpiresIn=self.url_seconds,
            )
            self._signed[name] = (now, url)
        return url

    def _public_url(self, name: str) -> str:
        key = quote(self.key(name))
        if self.endpoint:
            return f"{self.endpoint.rstrip('/')}/{self.bucket}/{key}"
        region = self.region or "us-east-1"
        return f"https://{self.bucket}.s3.{region}.amazonaws.com/{key}"


def make_storage(url: str, presigned: bool = True, url_seconds: int = 86400):
    if url.startswith("s3://"):
        return S3Storage(url, presigned=presigned, url_seconds=url_seconds)
    if "://" in url:
        raise ValueError(
            f"STATBOARD_STORAGE_URL {url!r} is neither a folder nor s3://bucket/prefix; "
            "set it to one of those."
        )
    return LocalStorage(url)
