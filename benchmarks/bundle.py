"""The `bundle` family (issue 19): one file regenerates a run's data byte for byte elsewhere.

A run of the fk schema (1,000,000 rows by default: 100k customers, 300k orders, 600k order
items, plus a Faker rule that reads the clock) is generated on one embedded stack and exported
as a bundle; a second embedded stack, whose every process runs a year ahead (libfaketime,
`FAKETIME=+1y`), imports it under another name and generates it again. Every object's
checksum must be identical, or the benchmark fails: the figure is the time, the identity is
the point. `tests/test_bundles.py` runs the same with a few hundred rows.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.e2e import SCALE, experiment_document, wait_run
from benchmarks.measure import Options, Skipped, say
from dwsim_cli.main import main as cli
from dwsim_shared.devstack import Stack
from dwsim_shared.testing import stacks
from dwsim_shared.testing.stacks import embedded_stack

CUSTOMERS = 100_000  # 1M rows in all
SHARD_SIZE = 100_000
IDENTICAL = re.compile(r"(\d+) of (\d+) objects identical")


def faked_clock(offset: str = "+1y") -> dict[str, str]:
    try:
        return stacks.faked_clock(offset)
    except stacks.NoFakeTime as error:
        raise Skipped(str(error)) from error


def document(name: str, customers: int) -> dict[str, Any]:
    """The fk schema sized to `customers` (x10 rows in all), with a clock-reading Faker rule."""
    found = experiment_document()
    found["name"] = name
    for table in found["tables"]:
        table["target_rows"] = customers * SCALE[table["name"]]
    found["tables"][0]["columns"].append(
        {"name": "seen", "data_type": "VARCHAR", "varchar_length": 40, "faker_rule": "date_time"}
    )
    return found


def _cli(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli([*argv, "--url", url], env={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def generate(url: str, doc: dict[str, Any], shard_size: int, stack: Stack) -> int:
    """Create `doc` on the stack at `url` and generate it; the run's number."""
    with httpx.Client(base_url=url, timeout=60) as client:
        created = client.post("/api/experiments", json=doc)
        if created.status_code != 201:
            raise RuntimeError(f"creating the experiment: {created.status_code} {created.text}")
        submitted = client.post(
            f"/api/experiments/{doc['name']}/generate", json={"shard_size": shard_size, "seed": 7}
        )
        if submitted.status_code != 202:
            raise RuntimeError(f"generating: {submitted.status_code} {submitted.text}")
        wait_run(client, submitted.json()["links"]["run"], stack)
        run_id: int = submitted.json()["run_id"]
        return run_id


def regenerate_elsewhere(bundle: Path, name: str, home: Path) -> dict[str, Any]:
    """Import `bundle` as `name` on a new embedded stack a year ahead and generate it again."""
    with embedded_stack(home, faked_clock("+1y")) as stack:
        started = time.perf_counter()
        code, out, err = _cli(stack.url, "experiment", "import-bundle", str(bundle),
                              "--name", name, "--run")  # fmt: skip
        seconds = time.perf_counter() - started
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            runs = client.get(f"/api/experiments/{name}/runs").json()
    found = IDENTICAL.search(out)
    if found is None:
        raise RuntimeError(f"import-bundle answered {code}:\n{out}\n{err}")
    created = datetime.fromisoformat(runs["runs"][0]["created_at"])
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    ahead_days = (created - datetime.now(UTC)).total_seconds() / 86400
    return {"exit": code, "identical": int(found.group(1)), "objects": int(found.group(2)),
            "seconds": seconds, "clock_ahead_days": round(ahead_days), "output": out + err}  # fmt: skip


def reproduce(customers: int, shard_size: int, workdir: Path) -> dict[str, Any]:
    name = f"bundle_src_{customers}"
    bundle = workdir / "bundle.tar.gz"
    with embedded_stack(workdir / "a") as stack:
        started = time.perf_counter()
        run_id = generate(stack.url, document(name, customers), shard_size, stack)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        code, out, err = _cli(
            stack.url, "experiment", "export", name, "--run", str(run_id), "-o", str(bundle)
        )
        exported = time.perf_counter() - started
        if code != 0:
            raise RuntimeError(f"export answered {code}: {out}{err}")
    again = regenerate_elsewhere(bundle, f"bundle_copy_{customers}", workdir / "b")
    return {"generate_s": generated, "export_s": exported, "bundle_bytes": bundle.stat().st_size,
            **again}  # fmt: skip


def regenerate(options: Options) -> list[dict[str, Any]]:
    customers = options.rows or CUSTOMERS
    say(f"bundle.regenerate: {customers * 10:,} rows, exported, imported a year ahead")
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-bundle-") as tmp:
        result = reproduce(customers, SHARD_SIZE, Path(tmp))
    if result["identical"] != result["objects"] or result["exit"] != 0:
        raise RuntimeError(f"objects differ after regeneration:\n{result['output']}")
    if result["clock_ahead_days"] < 300:
        raise RuntimeError(f"the second stack's clock was not moved: {result['clock_ahead_days']}")
    return [{
        "name": "bundle.regenerate", "rows": customers * 10, "objects": result["objects"],
        "identical": result["identical"], "clock_ahead_days": result["clock_ahead_days"],
        "generate_s": round(result["generate_s"], 2), "export_s": round(result["export_s"], 2),
        "import_regenerate_s": round(result["seconds"], 2),
        "bundle_bytes": result["bundle_bytes"],
    }]  # fmt: skip


BENCHMARKS = {"bundle.regenerate": regenerate}
