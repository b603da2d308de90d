"""Reproducible bundles: one tar.gz that regenerates a run's data byte for byte elsewhere.

A bundle holds what fixes the bytes (the document as the run used it, the seed, row targets,
shard size), what records them (plan digest, lineage, the SHA-256 of every Parquet object),
what produced them (the lock file, pinned requirements, the project's generation code) and a
`verify.py` + `Dockerfile` that regenerate every object and compare it with its checksum.
"""

from __future__ import annotations

import importlib.metadata as metadata
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import dwsim_shared
from dwsim_shared.errors import Conflict
from dwsim_shared.lineage.graph import lineage_graph
from dwsim_shared.lineage.provenance import lock_file
from dwsim_shared.lineage.wheels import dependency_closure, dependency_wheel, project_wheel
from dwsim_shared.objectstore import ObjectStore
from dwsim_shared.state.models import (
    COMPLETED_RUN_STATUSES,
    ExperimentRow,
    ExperimentVersionRow,
    RunRow,
    RunShardRow,
)

FORMAT = 1
# What the bundle's verify.py imports: their distributions, pinned, are its requirements.
GENERATION_MODULES = ("dwsim_shared.generation.shard", "dwsim_shared.experiment")


def object_name(table: str, shard_index: int) -> str:
    return f"objects/{table}/part-{shard_index:05d}.parquet"


def manifest(session: Session, row: ExperimentRow, run: RunRow) -> dict[str, Any]:
    """The bundle's `bundle.json`; `Conflict` when the run cannot be reproduced from it."""
    if run.status not in COMPLETED_RUN_STATUSES:
        raise Conflict(f"run {run.number} is {run.status}; only a completed run can be exported")
    # A load run's bytes are its source run's: export what produced them.
    shards = session.scalars(
        select(RunShardRow)
        .where(RunShardRow.run_id == run.id)
        .order_by(RunShardRow.table_name, RunShardRow.shard_index)
    ).all()
    if any(s.checksum is None for s in shards):
        raise Conflict(
            f"run {run.number} has no recorded checksums (it was generated before lineage was "
            "recorded); generate it again to export it"
        )
    source = session.get(RunRow, run.source_run_id) if run.source_run_id is not None else None
    # Run ids are the runs' numbers in the experiment, as everywhere users read them; object
    # keys keep the internal id they were written under (physical names).
    return {
        "format": FORMAT,
        "experiment": row.name,
        "run_id": run.number,
        "kind": run.kind,
        "source_run_id": source.number if source is not None else None,
        "seed": run.seed,
        "plan_digest": run.plan_digest,
        "row_targets": run.row_targets,
        "shard_size": run.shard_size,
        "experiment_version": run.experiment_version,
        "provenance": run.provenance,
        "objects": [
            {
                "table": s.table_name,
                "shard_index": s.shard_index,
                "row_start": s.row_start,
                "row_count": s.row_count,
                "rows": s.rows_written,
                "bytes": s.object_bytes,
                "checksum": s.checksum,
                "key": s.object_key,
                "file": object_name(s.table_name, s.shard_index),
            }
            for s in shards
        ],
    }


def _imported_distributions() -> list[str]:
    """The distributions that the generation code imports, found in a fresh interpreter
    (this process has loaded far more than generation needs)."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        + "".join(f"import {module}\n" for module in GENERATION_MODULES)
        + "found = m.packages_distributions()\n"
        "names = {d for mod in list(sys.modules) for d in found.get(mod.split('.')[0], [])}\n"
        "print(json.dumps(sorted(n for n in names if not n.lower().startswith('dwsim'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    names: list[str] = json.loads(done.stdout)
    return names


def _requirements(distributions: list[metadata.Distribution]) -> str:
    """Every distribution generation needs (what it imports and what those require), pinned."""
    return "".join(f"{d.metadata['Name']}=={d.version}\n" for d in distributions)


def _add(tar: tarfile.TarFile, name: str, data: bytes | str, mode: int = 0o644) -> None:
    raw = data.encode() if isinstance(data, str) else data
    info = tarfile.TarInfo(f"bundle/{name}")
    info.size, info.mtime, info.mode = len(raw), int(time.time()), mode
    tar.addfile(info, io.BytesIO(raw))


def _sources() -> Iterable[Path]:
    root = Path(dwsim_shared.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def write_bundle(
    out: IO[bytes],
    session: Session,
    row: ExperimentRow,
    run: RunRow,
    *,
    objects: ObjectStore | None = None,
    wheel_cache: Path | None = None,
) -> dict[str, Any]:
    """Write the bundle of `run` as tar.gz to `out`; with `objects`, the Parquet files too.

    The project's generation package is always in `wheels/`; with `wheel_cache` (a folder
    where re-packed wheels are kept between exports) every library it needs is too, so the
    bundle installs without an index."""
    found = manifest(session, row, run)
    found["with_data"] = objects is not None
    found["with_wheels"] = wheel_cache is not None
    needed = dependency_closure(_imported_distributions())
    if objects is not None and run.objects_deleted_at is not None:
        raise Conflict(
            f"the objects of run {run.number} were deleted by retention (DWSIM_KEEP_RUNS); "
            "export it without its data"
        )
    # The DDL the experiment was imported from, even when the run used a later edit of it.
    source_sql = session.scalars(
        select(ExperimentVersionRow.source_sql)
        .where(
            ExperimentVersionRow.experiment_id == row.id,
            ExperimentVersionRow.source_sql.is_not(None),
        )
        .order_by(ExperimentVersionRow.version)
        .limit(1)
    ).first()
    checksums = "".join(f"{o['checksum']}  {o['file']}\n" for o in found["objects"])
    # gzip's own default level (tarfile's is 9): the wheels are zip files already, which
    # level 9 spends seconds of CPU on for a few bytes.
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
        _add(tar, "bundle.json", json.dumps(found, indent=2))
        _add(tar, "experiment.json", json.dumps(run.schema_json, indent=2))
        if source_sql:
            _add(tar, "source.sql", source_sql)
        _add(tar, "lineage.json", json.dumps(lineage_graph(session, row, run.number), indent=2))
        _add(tar, "checksums.sha256", checksums)
        if (lock := lock_file()) is not None:
            _add(tar, "uv.lock", lock.read_bytes())
        _add(tar, "requirements.txt", _requirements(needed))
        _add(tar, "verify.py", VERIFY, 0o755)
        _add(tar, "Dockerfile", DOCKERFILE_OFFLINE if wheel_cache is not None else DOCKERFILE)
        with tempfile.TemporaryDirectory() as tmp:
            own = project_wheel(Path(tmp))
            tar.add(own, f"bundle/wheels/{own.name}")
        if wheel_cache is not None:
            for dist in needed:
                wheel = dependency_wheel(dist, wheel_cache)
                tar.add(wheel, f"bundle/wheels/{wheel.name}")
        _add(tar, "README.md", README.format(**found, tables=", ".join(found["row_targets"])))
        package = Path(dwsim_shared.__file__).parent
        for path in _sources():
            _add(tar, f"source/dwsim_shared/{path.relative_to(package)}", path.read_bytes())
        if objects is not None:
            for obj in found["objects"]:
                with objects.local_copy(obj["key"]) as path:
                    tar.add(path, f"bundle/{obj['file']}")
    return found


def read_bundle(source: IO[bytes]) -> dict[str, bytes]:
    """The members of a bundle by name (without the `bundle/` folder); objects are skipped."""
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=source, mode="r:gz") as tar:
        for info in tar:
            name = info.name.removeprefix("bundle/")
            if info.isfile() and not name.startswith(("objects/", "source/")):
                extracted = tar.extractfile(info)
                if extracted is not None:
                    members[name] = extracted.read()
    return members


# The bundle's install, in a virtual environment or an image: the libraries (from `wheels/`
# alone when the bundle carries them), then the project's own wheel without dependencies.
INSTALL_OFFLINE = (
    "pip install --no-cache-dir --no-index --find-links wheels -r requirements.txt && "
    "pip install --no-cache-dir --no-index --no-deps wheels/dwsim_shared-*.whl"
)
INSTALL = (
    "pip install --no-cache-dir -r requirements.txt && "
    "pip install --no-cache-dir --no-index --no-deps wheels/dwsim_shared-*.whl"
)
_DOCKERFILE = """\
# Regenerates the run's data and verifies every Parquet object against checksums.sha256.
#   docker build -t dwsim-bundle . && docker run --rm dwsim-bundle
# {how}
FROM python:3.11-slim
WORKDIR /bundle
COPY requirements.txt ./
COPY wheels/ wheels/
RUN {install}
COPY . .
ENTRYPOINT ["python", "verify.py"]
"""
DOCKERFILE = _DOCKERFILE.format(
    how="Libraries from the package index (export with --with-wheels to carry them).",
    install=INSTALL,
)
DOCKERFILE_OFFLINE = _DOCKERFILE.format(
    how="Every library is in wheels/ (built for this bundle's platform): no index is used.",
    install=INSTALL_OFFLINE,
)

README = """\
# Reproducible bundle: {experiment}, run {run_id}

Seed {seed}, shard size {shard_size}, plan digest `{plan_digest}`, tables: {tables}.

- `experiment.json` the experiment document exactly as the run used it (`source.sql`: the DDL
  it was imported from, when it was); `bundle.json` seed, row targets, shard size, the
  versions that produced the data and every object's checksum; `lineage.json` its lineage.
- `checksums.sha256` SHA-256 of every Parquet object (`sha256sum -c` with `--with-data`).
- `uv.lock` the project's lock file; `requirements.txt` the pinned libraries that generation
  uses; `wheels/` the project's generation code as a wheel (and, when exported with
  `--with-wheels`, every library in requirements.txt, for this platform); `source/` the same
  code to read.

Regenerate and verify, without any service:

    docker build -t dwsim-bundle . && docker run --rm dwsim-bundle
    # or in a virtual environment (offline when the bundle carries the libraries' wheels:
    # pip install --no-index --find-links wheels -r requirements.txt):
    python -m venv .venv && . .venv/bin/activate
    pip install -r requirements.txt && pip install --no-index --no-deps wheels/dwsim_shared-*.whl
    python verify.py

Or on a running DW Simulator stack (creates the experiment and generates it again):

    dw-sim experiment import-bundle bundle.tar.gz --name copy_of_{experiment} --run

Both report, per object, whether the bytes are identical, and first any difference between
the library versions recorded here and the ones installed (Faker, NumPy, PyArrow).
"""

VERIFY = '''\
"""Regenerate every Parquet object of this bundle and compare it with its recorded checksum."""

import hashlib
import importlib.metadata
import json
import sys
import tempfile
from pathlib import Path

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.shard import write_rows_parquet

HERE = Path(__file__).resolve().parent


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    bundle = json.loads((HERE / "bundle.json").read_text())
    experiment = Experiment.model_validate(json.loads((HERE / "experiment.json").read_text()))
    for name, recorded in sorted((bundle["provenance"] or {}).get("libraries", {}).items()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != recorded:
            print(f"version mismatch: {name} {recorded} produced the data, {installed} is installed")
    different = 0
    with tempfile.TemporaryDirectory() as tmp:
        for obj in bundle["objects"]:
            path = Path(tmp) / "part.parquet"
            write_rows_parquet(
                experiment, obj["table"], path, seed=bundle["seed"], row_start=obj["row_start"],
                row_count=obj["row_count"], row_targets=bundle["row_targets"],
            )
            same = sha256(path) == obj["checksum"]
            shipped = HERE / obj["file"]
            if shipped.exists() and sha256(shipped) != obj["checksum"]:
                print(f"{obj['file']}: the shipped object does not match its checksum")
                same = False
            different += not same
            print(f"{obj['file']}: {'identical' if same else 'DIFFERENT'}")
    total = len(bundle["objects"])
    print(f"{total - different} of {total} objects identical")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
'''
