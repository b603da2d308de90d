"""Both object stores behave the same: the local folder and S3 through a moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsim_shared.errors import DependencyUnavailable, NotFound
from dwsim_shared.objectstore import (
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    make_object_store,
    shard_key,
)
from dwsim_shared.settings import Settings
from dwsim_shared.testing.servers import free_port


def test_shard_key_layout() -> None:
    assert shard_key("shop", "orders", 7, 3) == "experiments/shop/orders/run_7/part-00003.parquet"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    endpoint = request.getfixturevalue("s3_endpoint_url")
    bucket = request.getfixturevalue("s3_bucket")
    return S3ObjectStore(bucket, endpoint, "us-east-1", prefix="pfx")


def test_put_get_list_delete(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "part.bin"
    source.write_bytes(b"parquet bytes")
    store.check()
    keys = [shard_key("e1", "t", 1, i) for i in range(3)] + [shard_key("e2", "t", 1, 0)]
    for key in keys:
        store.put_file(source, key)
    assert store.exists(keys[0])
    assert store.list_keys("experiments/e1/") == sorted(keys[:3])
    with store.local_copy(keys[1]) as path:
        assert path.read_bytes() == b"parquet bytes"
    assert store.delete_prefix("experiments/e1/") == 3
    assert store.list_keys("experiments/") == [keys[3]]
    assert not store.exists(keys[0])
    with pytest.raises(NotFound), store.local_copy(keys[0]):
        pass


def test_a_prefix_inside_a_name_matches_as_on_s3(store: ObjectStore, tmp_path: Path) -> None:
    """UNLOAD writes `prefix` + `0000_part_00.parquet`; COPY FROM that prefix reads them back."""
    source = tmp_path / "part.bin"
    source.write_bytes(b"x")
    keys = ["workspace/e1/orders_0000_part_00.parquet", "workspace/e1/orders_0001_part_00.parquet"]
    for key in [*keys, "workspace/e1/other.parquet", "workspace/e1/orders_/nested.csv"]:
        store.put_file(source, key)
    assert store.list_keys("workspace/e1/orders_0") == keys
    assert store.list_keys("workspace/e1/orders_") == sorted(
        [*keys, "workspace/e1/orders_/nested.csv"]
    )
    assert store.list_keys("workspace/e1/none_") == []
    assert store.delete_prefix("workspace/e1/orders_0") == 2
    assert store.list_keys("workspace/e1/") == [
        "workspace/e1/orders_/nested.csv",
        "workspace/e1/other.parquet",
    ]


def test_local_store_refuses_keys_escaping_the_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="escapes"):
        LocalObjectStore(tmp_path).put_file(tmp_path / "x", "../outside")


def test_settings_pick_the_store(tmp_path: Path) -> None:
    local = make_object_store(Settings(home=tmp_path))
    assert isinstance(local, LocalObjectStore) and local.root == tmp_path / "objects"
    s3 = make_object_store(Settings(home=tmp_path, object_store="s3://bucket/some/prefix"))
    assert isinstance(s3, S3ObjectStore) and s3.bucket == "bucket" and s3.prefix == "some/prefix/"


def test_unreachable_s3_is_dependency_unavailable() -> None:
    store = S3ObjectStore("b", f"http://127.0.0.1:{free_port()}", "us-east-1", timeout_s=1)
    with pytest.raises(DependencyUnavailable) as caught:
        store.check()
    assert caught.value.component == "object store"


def test_missing_bucket_is_dependency_unavailable(s3_endpoint_url: str) -> None:
    with pytest.raises(DependencyUnavailable, match="object store"):
        S3ObjectStore("no-such-bucket-here", s3_endpoint_url, "us-east-1").check()
