"""`dw-sim experiment export` (one POST, the bundle streamed to a file) and `import-bundle`
(read the bundle locally, compare library versions with the stack's, create the experiment,
and with `--run` generate it again and compare every object's checksum)."""

from __future__ import annotations

import argparse
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dwsim_cli import commands
from dwsim_cli.api import _experiment_path, _segment
from dwsim_cli.client import ApiRequest
from dwsim_cli.errors import EXIT_OK, EXIT_RUN_NOT_COMPLETED, LocalInputError
from dwsim_cli.wait import wait_for_run

EXIT_NOT_IDENTICAL = 5


def export_request(
    name: str, run_id: int, with_data: bool, with_wheels: bool = False
) -> ApiRequest:
    """POST /api/experiments/{name}/runs/{run_id}/export[?with_data=true&with_wheels=true]."""
    flags = [f"{flag}=true" for flag, on in (("with_data", with_data),
                                              ("with_wheels", with_wheels)) if on]  # fmt: skip
    query = f"?{'&'.join(flags)}" if flags else ""
    path = f"{_experiment_path(name)}/runs/{_segment(run_id)}/export{query}"
    return ApiRequest("POST", path, stream=True)


def show_export(ctx: commands.Context, args: argparse.Namespace, answer: Any) -> int:
    size = commands.save_stream(answer, args.output)
    ctx.print(f"wrote {args.output} ({size:,} bytes): run {args.run} of {args.name}")
    return EXIT_OK


def read_bundle(path: str) -> dict[str, Any]:
    """bundle.json, experiment.json (and source.sql) of a bundle file."""
    wanted = {"bundle.json", "experiment.json", "source.sql"}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for info in tar:
                name = info.name.removeprefix("bundle/")
                if name in wanted and info.isfile() and (data := tar.extractfile(info)):
                    found[name] = data.read()
    except (OSError, tarfile.TarError) as error:
        raise LocalInputError(f"{path}: not a readable bundle ({error})") from None
    missing = {"bundle.json", "experiment.json"} - set(found)
    if missing:
        raise LocalInputError(f"{path}: not a bundle (no {', '.join(sorted(missing))})")
    return {
        "manifest": json.loads(found["bundle.json"]),
        "document": json.loads(found["experiment.json"]),
        "source_sql": found.get("source.sql", b"").decode() or None,
    }


def mismatches(recorded: dict[str, Any] | None, installed: dict[str, Any]) -> list[str]:
    """Differences in the versions that shape values, in the words the user reads.

    >>> mismatches({"libraries": {"faker": "30.0"}}, {"libraries": {"faker": "31.0"}})
    ['faker 30.0 produced the bundle, the stack has 31.0: values may differ']
    """
    were = (recorded or {}).get("libraries") or {}
    are = installed.get("libraries") or {}
    lines = [
        f"{name} {were[name]} produced the bundle, the stack has {are.get(name)}: values may differ"
        for name in sorted(were)
        if were[name] != are.get(name)
    ]
    if (recorded or {}).get("project_version") != installed.get("project_version"):
        lines.append(
            f"dw-sim {(recorded or {}).get('project_version')} produced the bundle, the stack "
            f"runs {installed.get('project_version')}"
        )
    return lines


def build_import(args: argparse.Namespace) -> ApiRequest:
    args.bundle_content = read_bundle(args.bundle)
    return ApiRequest("GET", "/api/environment")


def show_import(ctx: commands.Context, args: argparse.Namespace, answer: Any) -> int:
    bundle = args.bundle_content
    manifest = bundle["manifest"]
    document = dict(bundle["document"])
    name = args.name or document["name"]
    document["name"] = name
    if args.target_warehouse:
        document["target_warehouse"] = args.target_warehouse
    # Reported before anything is generated: different versions may mean different bytes.
    problems = mismatches(manifest.get("provenance"), answer)
    for line in problems:
        ctx.note(f"version mismatch: {line}")
    ctx.client.send(ApiRequest("POST", "/api/experiments", document))
    ctx.print(
        f"created experiment {name} from run {manifest['run_id']} of {manifest['experiment']}"
    )
    if not args.run:
        ctx.print(
            f"generate it with: dw-sim experiment generate {name} --seed {manifest['seed']}"
            f" --shard-size {manifest['shard_size']}"
        )
        return EXIT_OK
    body = {
        "seed": manifest["seed"],
        "rows": manifest["row_targets"],
        "shard_size": manifest["shard_size"],
    }
    started = ctx.client.send(ApiRequest("POST", f"{_experiment_path(name)}/generate", body))
    run_id = int(started["run_id"])
    ctx.note(f"generating run {run_id} of {name} ...")
    run_request = ApiRequest("GET", f"{_experiment_path(name)}/runs/{run_id}")
    run = wait_for_run(
        lambda: ctx.client.send(run_request), timeout=args.timeout,
        poll_interval=args.poll_interval, clock=ctx.clock, sleep=ctx.sleep,
    )  # fmt: skip
    if run["status"] not in ("COMPLETED", "COMPLETED_WITH_WARNINGS"):
        ctx.print(f"run {run_id} ended {run['status']}: {run.get('error') or ''}")
        return EXIT_RUN_NOT_COMPLETED
    graph = ctx.client.send(ApiRequest("GET", f"{_experiment_path(name)}/lineage?run={run_id}"))
    now = {
        (n["table"], n["shard_index"]): n["checksum"]
        for n in graph["nodes"]
        if n["type"] == "object" and n["run_id"] == run_id
    }
    results = []
    for obj in manifest["objects"]:
        same = now.get((obj["table"], obj["shard_index"])) == obj["checksum"]
        results.append({"file": obj["file"], "identical": same})
    identical = sum(r["identical"] for r in results)
    if ctx.as_json:
        ctx.print_json({"experiment": name, "run_id": run_id, "version_mismatches": problems,
                        "objects": results, "identical": identical, "total": len(results)})  # fmt: skip
    else:
        for result in results:
            ctx.print(f"{result['file']}: {'identical' if result['identical'] else 'DIFFERENT'}")
        ctx.print(f"{identical} of {len(results)} objects identical (run {run_id} of {name})")
    return EXIT_OK if identical == len(results) else EXIT_NOT_IDENTICAL


def _writable(path: str) -> str:
    if Path(path).is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; name the bundle file")
    return path


def add_commands(exp_sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    p = leaf(
        exp_sub,
        "export",
        "export a completed run as a reproducible bundle (tar.gz)",
        lambda args: export_request(args.name, args.run, args.with_data, args.with_wheels),
        show_export,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--run", type=int, required=True, metavar="N", help="the run to export (its number)"
    )
    p.add_argument("-o", "--output", required=True, type=_writable, metavar="FILE")
    p.add_argument("--with-data", action="store_true", help="include the Parquet objects")
    p.add_argument(
        "--with-wheels",
        action="store_true",
        help="include a wheel of every library generation needs, so the bundle installs "
        "offline (tens of MB: NumPy and PyArrow)",
    )
    p = leaf(
        exp_sub,
        "import-bundle",
        "create an experiment from a bundle; with --run, generate it again and compare checksums",
        build_import,
        show_import,
    )
    p.add_argument("bundle", metavar="BUNDLE")
    p.add_argument("--name", default=None, metavar="NEW", help="name of the new experiment")
    p.add_argument("--target-warehouse", default=None, metavar="W", help="load into W instead")
    p.add_argument("--run", action="store_true", help="generate and compare every object")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument("--poll-interval", type=float, default=0.5, metavar="S")
