"""One object-store interface: S3 (boto3, any endpoint) or a local folder.

Keys look like `experiments/{experiment}/{table}/run_{id}/part-{shard:05d}.parquet`.
Writes are atomic: a local file is renamed into place, an S3 object arrives in a
single PUT (or a multipart upload that only becomes visible when complete).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from dwsim_shared.errors import DependencyUnavailable, NotFound
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses.namespaces import checked_experiment_name


def shard_key(experiment: str, table: str, run_id: int, shard_index: int) -> str:
    return f"{experiment_prefix(experiment)}{table}/run_{run_id}/part-{shard_index:05d}.parquet"


def experiment_prefix(experiment: str) -> str:
    return f"experiments/{checked_experiment_name(experiment)}/"


class ObjectStore(Protocol):
    """What every object store offers."""

    def put_file(self, local_path: Path, key: str) -> None: ...

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]: ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def check(self) -> None: ...

    def url(self, key: str) -> str: ...


class LocalObjectStore:
    """Objects as files under a root folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"object key {key!r} escapes the store")
        return path

    def put_file(self, local_path: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(local_path, tmp)
        os.replace(tmp, target)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise NotFound(f"object {key!r} does not exist in {self.url('')}")
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def list_keys(self, prefix: str) -> list[str]:
        """Every key that begins with `prefix`, as S3 lists them: 'orders_' matches UNLOAD's
        orders_0000_part_00.parquet (COPY reads that prefix back), 'dir/' what is under dir."""
        if not prefix:
            return self._files_under([self.root])
        base = self._path(prefix)
        if prefix.endswith("/"):
            return self._files_under([base]) if base.is_dir() else []
        if not base.parent.is_dir():
            return []
        return self._files_under([c for c in base.parent.iterdir() if c.name.startswith(base.name)])

    def _files_under(self, entries: list[Path]) -> list[str]:
        files = [p for e in entries for p in ([e] if e.is_file() else e.rglob("*"))]
        return sorted(
            str(p.relative_to(self.root))
            for p in files
            if p.is_file() and not p.name.startswith(".")
        )

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for key in keys:
            self._path(key).unlink(missing_ok=True)
        target = self._path(prefix) if prefix else None
        if target is not None and prefix.endswith("/") and target.is_dir():
            shutil.rmtree(target)  # the folders the keys were in
        return len(keys)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DependencyUnavailable("object store", str(error)) from error
        if not os.access(self.root, os.W_OK):
            raise DependencyUnavailable("object store", f"{self.root} is not writable")

    def url(self, key: str) -> str:
        return f"file://{self.root}/{key}"


class S3ObjectStore:
    """Objects in an S3 bucket, through boto3 with an optional endpoint (MinIO, moto, AWS)."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        prefix: str = "",
        timeout_s: float = 5.0,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                connect_timeout=timeout_s,
                read_timeout=max(timeout_s, 60),
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(f"object not found in s3://{self.bucket}: {error}") from error
            if code == "NoSuchBucket":
                raise DependencyUnavailable(
                    "object store", f"bucket {self.bucket!r} does not exist"
                ) from error
            from dwsim_shared.transient import as_unavailable

            if (unavailable := as_unavailable("object store", error)) is not None:
                raise unavailable from error  # 5xx / SlowDown: worth a retry
            raise
        except BotoCoreError as error:
            raise DependencyUnavailable("object store", str(error)) from error

    def put_file(self, local_path: Path, key: str) -> None:
        with self._errors():
            self.client.upload_file(str(local_path), self.bucket, self._key(key))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="dwsim-obj-") as tmp:
            path = Path(tmp) / Path(key).name
            with self._errors():
                self.client.download_file(self.bucket, self._key(key), str(path))
            yield path

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            with self._errors():
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (NotFound, ClientError):
            return False
        return True

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with self._errors():
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        with self._errors():
            for start in range(0, len(keys), 1000):
                batch: Any = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
        return len(keys)

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        with self._errors():
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError:
                self.client.create_bucket(Bucket=self.bucket)

    def check(self) -> None:
        try:
            with self._errors():
                self.client.head_bucket(Bucket=self.bucket)
        except NotFound as error:  # HeadBucket answers a bare 404 for a missing bucket
            raise DependencyUnavailable(
                "object store", f"bucket {self.bucket!r} does not exist"
            ) from error

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def make_object_store(settings: Settings) -> ObjectStore:
    """The store `DWSIM_OBJECT_STORE` names (a folder under `DWSIM_HOME` by default)."""
    location = settings.resolved_object_store
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        return S3ObjectStore(
            bucket=parsed.netloc,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            prefix=parsed.path,
            timeout_s=settings.dependency_timeout_s,
        )
    return LocalObjectStore(Path(parsed.path))
