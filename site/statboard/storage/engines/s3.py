"""Uploads in an S3 bucket (AWS or any S3-compatible endpoint): s3://bucket/prefix?..."""

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from statboard.storage.engines import CACHE_CONTROL, PRIVATE_CACHE_CONTROL, StorageUnavailable

MOST_SIGNED = 10_000  # signed URLs remembered per process


class S3Storage:
    """Objects in an S3 bucket (AWS or any S3-compatible endpoint).

    Credentials come from the standard AWS chain (environment, config files, roles).
    Browsers get presigned URLs, or plain object URLs when the bucket is public.
    """

    def __init__(self, url: str, presigned: bool = True, url_seconds: int = 86400):
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
        self._probe = None  # (timeout, client) for ping

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def ping(self, timeout: float) -> None:
        """One try, bounded: the site's client waits and retries as uploads should, which
        would hold a readiness probe for minutes on a server that accepts and is silent."""
        if self._probe is None or self._probe[0] != timeout:
            config = self.client.meta.config.merge(
                Config(
                    connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1}
                )
            )
            client = boto3.client(
                "s3", region_name=self.region, endpoint_url=self.endpoint, config=config
            )
            self._probe = (timeout, client)
        self._probe[1].head_bucket(Bucket=self.bucket)

    def save(self, name: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(name),
                Body=data,
                ContentType=content_type,
                CacheControl=CACHE_CONTROL,
            )
        except ClientError as error:
            raise StorageUnavailable(self._refusal(error)) from error
        except BotoCoreError as error:  # no connection, a timeout
            raise StorageUnavailable(f"{self.endpoint or 'S3'} did not answer") from error

    def _refusal(self, error: ClientError) -> str:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return f"the bucket {self.bucket} does not exist"
        if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId"):
            return f"the bucket {self.bucket} refuses this site's credentials ({code})"
        return f"S3 refused it ({code or 'no reason given'})"

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

    def listing(self, under: str = "") -> Iterator[tuple[str, float]]:
        prefix = self.key(under).rstrip("/") + "/" if under or self.prefix else ""
        written: dict[str, float] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :].split("/", 1)[0]
                name = f"{under}/{name}" if under else name
                when = item["LastModified"].timestamp()
                written[name] = max(written.get(name, when), when)
        yield from written.items()

    def url(self, name: str, private: bool = False) -> str:
        if not self.presigned:
            return self._public_url(name)  # a public bucket: anyone may cache it
        # Reuse a signature for half its life, so pages keep the same URL and
        # browsers their cached copy.
        now = time.time()
        made, url = self._signed.get((name, private), (0.0, ""))
        if now - made > self.url_seconds / 2:
            params = {"Bucket": self.bucket, "Key": self.key(name)}
            if private:  # S3 answers this signed URL with this header instead of its own
                params["ResponseCacheControl"] = PRIVATE_CACHE_CONTROL
            url = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self.url_seconds
            )
            if len(self._signed) >= MOST_SIGNED:  # names of deleted objects stay behind
                self._signed.clear()
            self._signed[(name, private)] = (now, url)
        return url

    def local_path(self, name: str) -> None:
        """None: browsers fetch objects from S3, never from the site."""
        return None

    def _public_url(self, name: str) -> str:
        key = quote(self.key(name))
        if self.endpoint:
            return f"{self.endpoint.rstrip('/')}/{self.bucket}/{key}"
        region = self.region or "us-east-1"
        return f"https://{self.bucket}.s3.{region}.amazonaws.com/{key}"
