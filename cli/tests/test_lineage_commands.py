"""`dw-sim experiment lineage|lineage-diff|export|import-bundle` against a fake gateway."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .conftest import FakeGateway, Result

RunCli = Callable[..., "Result"]

GRAPH: dict[str, Any] = {
    "experiment": "shop",
    "run_id": None,
    "live_run_id": 2,
    "nodes": [
        {"id": "version:1", "type": "experiment_version", "label": "shop v1", "version": 1,
         "digest": "ab" * 32},
        {"id": "run:2", "type": "run", "label": 'run 2 "x"', "run_id": 2, "kind": "generate",
         "status": "COMPLETED", "live": True, "seed": "7", "plan_digest": "cd" * 32,
         "source_run_id": None, "experiment_version": 1},
        {"id": "object:2:t:0", "type": "object", "label": "t part 0", "run_id": 2, "table": "t",
         "shard_index": 0, "rows": 10, "bytes": 900},
        {"id": "load:2:t", "type": "load", "label": "load of t", "run_id": 2, "table": "t",
         "warehouse": "sqlite", "staging": "_r2_shop", "rows_loaded": 10,
         "published_at": "2026-01-01T00:00:00"},
        {"id": "table:t", "type": "table", "label": "t", "table": "t", "state": "live",
         "live_run_id": 2},
    ],
    "edges": [
        {"source": "version:1", "target": "run:2", "type": "submitted"},
        {"source": "run:2", "target": "object:2:t:0", "type": "wrote"},
        {"source": "object:2:t:0", "target": "load:2:t", "type": "loaded_into"},
        {"source": "load:2:t", "target": "table:t", "type": "published_to", "live": True},
    ],
    "events": [{"id": 1, "kind": "generate", "run_id": 2, "at": "2026-01-01T00:00:00"}],
}  # fmt: skip


def test_lineage_as_text_dot_and_json(gateway: FakeGateway, run_cli: RunCli) -> None:
    gateway.on("GET", "/api/experiments/shop/lineage?run=2", httpx.Response(200, json=GRAPH))
    gateway.on("GET", "/api/experiments/shop/lineage", httpx.Response(200, json=GRAPH))
    text = run_cli("experiment", "lineage", "shop", "--run", "2")
    assert text.code == 0, text.err
    assert "run 2 generate COMPLETED  LIVE  from version 1  seed 7" in text.out
    assert "  t: 1 objects, 10 rows, 900 bytes" in text.out
    assert "table t: live (run 2)" in text.out
    dot = run_cli("experiment", "lineage", "shop", "--format", "dot").out
    assert dot.startswith('digraph "lineage shop" {')
    assert '"run:2" [label="run 2 \\"x\\"", shape=box, style=bold' in dot  # quotes escaped
    assert '"load:2:t" -> "table:t" [label="published_to", style=bold' in dot
    assert json.loads(run_cli("experiment", "lineage", "shop", "--format", "json").out) == GRAPH


def _bundle(path: Path, faker: str) -> None:
    manifest = {"run_id": 2, "experiment": "shop", "seed": 7, "shard_size": 10,
                "row_targets": {"t": 10}, "provenance": {"project_version": "0.1.0",
                "libraries": {"faker": faker, "numpy": "2", "pyarrow": "20"}},
                "objects": [{"table": "t", "shard_index": 0, "checksum": "c" * 64,
                             "file": "objects/t/part-00000.parquet"}]}  # fmt: skip
    with tarfile.open(path, "w:gz") as tar:
        for name, value in (("bundle.json", manifest), ("experiment.json", {"name": "shop"})):
            raw = json.dumps(value).encode()
            info = tarfile.TarInfo(f"bundle/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_import_bundle_reports_mismatches_before_creating(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    env = {"project_version": "0.1.0", "libraries": {"faker": "40", "numpy": "2", "pyarrow": "20"}}
    gateway.on("GET", "/api/environment", httpx.Response(200, json=env))
    gateway.on("POST", "/api/experiments", httpx.Response(201, json={"name": "copy"}))
    _bundle(tmp_path / "b.tar.gz", faker="39")
    done = run_cli("experiment", "import-bundle", str(tmp_path / "b.tar.gz"), "--name", "copy")
    assert done.code == 0, done.err
    assert done.err == (
        "version mismatch: faker 39 produced the bundle, the stack has 40: values may differ\n"
    )
    assert json.loads(gateway.requests[1].content) == {"name": "copy"}
    assert "created experiment copy from run 2 of shop" in done.out
    broken = tmp_path / "x.tar.gz"
    broken.write_bytes(b"not a tar")
    refused = run_cli("experiment", "import-bundle", str(broken))
    assert refused.code == 1 and "not a readable bundle" in refused.err
    assert len(gateway.requests) == 2  # nothing sent for a broken bundle


def test_export_streams_the_bundle_to_the_file(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    gateway.on("POST", "/api/experiments/shop/runs/2/export?with_data=true",
               httpx.Response(200, content=b"\x1f\x8b tarball"))  # fmt: skip
    out = tmp_path / "b.tar.gz"
    done = run_cli("experiment", "export", "shop", "--run", "2", "-o", str(out), "--with-data")
    assert done.code == 0, done.err
    assert out.read_bytes() == b"\x1f\x8b tarball"
    curl = run_cli("--print-curl", "experiment", "export", "shop", "--run", "2", "-o", str(out))
    assert "/api/experiments/shop/runs/2/export" in curl.out and f"-o {out}" in curl.out
