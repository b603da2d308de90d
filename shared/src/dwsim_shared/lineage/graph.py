"""The lineage graph of an experiment, and the differences between two of its runs.

Nodes follow the data: experiment version -> run -> per-table object (one per shard) -> the
load of a table into the warehouse (its staging, publish time) -> the live table. A load of a
kept run reads the objects of the run it reloads. Ids are stable strings (`run:3`,
`object:3:orders:0`), so two graphs compare structurally.

Every run id a user reads here is the run's NUMBER within its experiment (`runs.number`, what
the rest of the API calls `run_id`); the global `runs.id` shows only as a run's `internal_id`
and inside physical names (object keys, staging schemas), which are named by it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_shared.lineage.history import events, versions
from dwsim_shared.runs.queries import live_run
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow
from dwsim_shared.warehouses.namespaces import staging_name


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _run_node(run: RunRow, numbers: dict[int, int], live_id: int | None) -> dict[str, Any]:
    number = numbers[run.id]
    source = numbers.get(run.source_run_id) if run.source_run_id is not None else None
    return {
        "id": f"run:{number}",
        "type": "run",
        "label": f"run {number} ({run.kind})",
        "run_id": number,
        "internal_id": run.id,
        "kind": run.kind,
        "status": run.status,
        "live": run.id == live_id,
        "seed": str(run.seed),  # 62-bit: a JSON number would lose digits in JavaScript
        "plan_digest": run.plan_digest,
        "row_targets": run.row_targets,
        "shard_size": run.shard_size,
        "warehouse": run.warehouse,
        "experiment_version": run.experiment_version,
        "source_run_id": source,
        "provenance": run.provenance,
        "reconciled_counts": run.reconciled_counts,
        "created_at": _iso(run.created_at),
        "published_at": _iso(run.published_at),
        "objects_deleted": run.objects_deleted_at is not None,
    }


def _event(event: Any, numbers: dict[int, int]) -> dict[str, Any]:
    details = dict(event.details or {})
    # The history stores internal ids (they never change); it shows run numbers.
    if details.get("source_run_id") is not None:
        details["source_run_id"] = numbers.get(details["source_run_id"])
    if details.get("seed") is not None:
        details["seed"] = str(details["seed"])  # 62-bit, a string like every seed the API shows
    run = numbers.get(event.run_id) if event.run_id is not None else None
    return {"id": event.id, "kind": event.kind, "run_id": run, "at": _iso(event.at), **details}


def lineage_graph(
    session: Session, row: ExperimentRow, run_number: int | None = None
) -> dict[str, Any]:
    """The whole graph of the experiment, or (`run_number`) the part that leads to and from
    that run (its number within the experiment)."""
    runs = list(
        session.scalars(select(RunRow).where(RunRow.experiment_id == row.id).order_by(RunRow.id))
    )
    numbers = {r.id: r.number if r.number is not None else r.id for r in runs}
    live = live_run(session, row.id)
    live_id = live.id if live else None
    live_number = numbers.get(live_id) if live_id is not None else None
    if run_number is not None:
        focus = next(r for r in runs if numbers[r.id] == run_number)
        runs = [r for r in runs if r.id in (focus.id, focus.source_run_id)]
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    by_run = {r.id: r for r in runs}
    wanted_versions = {r.experiment_version for r in runs} if run_number is not None else None
    for version in versions(session, row.id):
        if wanted_versions is not None and version.version not in wanted_versions:
            continue
        nodes.append({
            "id": f"version:{version.version}",
            "type": "experiment_version",
            "label": f"{row.name} v{version.version}",
            "version": version.version,
            "digest": version.digest,
            "imported_from_ddl": version.source_sql is not None,
            "created_at": _iso(version.created_at),
        })  # fmt: skip
    history = [
        e for e in events(session, row.id) if run_number is None or e.run_id in (None, *by_run)
    ]
    # By event order, not clock: a reset after the live run's publish left its tables empty.
    published = [e.id for e in history if e.kind == "publish" and e.run_id == live_id]
    reset_after_live = bool(published) and any(
        e.kind == "reset" and e.id > published[-1] for e in history
    )
    shards = session.scalars(
        select(RunShardRow)
        .where(RunShardRow.run_id.in_(list(by_run)))
        .order_by(RunShardRow.run_id, RunShardRow.table_name, RunShardRow.shard_index)
    ).all()
    shards_by_run: dict[int, list[RunShardRow]] = {}
    for shard in shards:
        shards_by_run.setdefault(shard.run_id, []).append(shard)
    tables: dict[str, dict[str, Any]] = {}
    for run in runs:
        number = numbers[run.id]
        node = _run_node(run, numbers, live_id)
        node["links"] = {
            "run": f"/api/experiments/{row.name}/runs/{number}",
            "report": f"/api/experiments/{row.name}/runs/{number}/report",
        }
        nodes.append(node)
        if run.experiment_version is not None and run.kind == "generate":
            edges.append(_edge(f"version:{run.experiment_version}", node["id"], "submitted"))
        if node["source_run_id"] is not None:
            edges.append(_edge(f"run:{node['source_run_id']}", node["id"], "reloaded_by"))
        loaded: dict[str, int] = {}
        for shard in shards_by_run.get(run.id, []):
            loaded[shard.table_name] = loaded.get(shard.table_name, 0) + shard.rows_loaded
            # A load run's shards point at its source run's objects: one object node, two uses.
            owner = run.source_run_id if run.kind == "load" and run.source_run_id else run.id
            object_id = f"object:{numbers.get(owner, owner)}:{shard.table_name}:{shard.shard_index}"
            if owner == run.id:
                nodes.append({
                    "id": object_id,
                    "type": "object",
                    "label": f"{shard.table_name} part {shard.shard_index}",
                    "run_id": number,
                    "table": shard.table_name,
                    "shard_index": shard.shard_index,
                    "status": shard.status,
                    "key": shard.object_key,
                    "checksum": shard.checksum,
                    "rows": shard.rows_written,
                    "bytes": shard.object_bytes,
                    "worker": shard.worker,
                    "attempts": shard.attempts,
                    "deleted": run.objects_deleted_at is not None,
                })  # fmt: skip
                edges.append(_edge(node["id"], object_id, "wrote"))
            load_id = f"load:{number}:{shard.table_name}"
            edges.append(_edge(object_id, load_id, "loaded_into"))
        for table, rows in loaded.items():
            load_id = f"load:{number}:{table}"
            nodes.append({
                "id": load_id,
                "type": "load",
                "label": f"load of {table} (run {number})",
                "run_id": number,
                "table": table,
                "warehouse": run.warehouse,
                # A physical name: named by the internal id, like the object keys.
                "staging": staging_name(row.name, run.id),
                "rows_loaded": rows,
                "published_at": _iso(run.published_at),
            })  # fmt: skip
            if run.published_at is not None:
                edges.append(_edge(load_id, f"table:{table}", "published_to"))
                tables.setdefault(table, {"warehouses": set()})["warehouses"].add(run.warehouse)
    for table, info in tables.items():
        is_live = live is not None and table in (live.row_targets or {})
        nodes.append({
            "id": f"table:{table}",
            "type": "table",
            "label": table,
            "table": table,
            "warehouses": sorted(info["warehouses"]),
            "live_run_id": live_number if is_live else None,
            "state": ("emptied" if reset_after_live else "live") if is_live else "replaced",
        })  # fmt: skip
    for edge in edges:
        if edge["type"] == "published_to" and live_number is not None:
            edge["live"] = edge["source"].startswith(f"load:{live_number}:")
    known = {n["id"] for n in nodes}
    edges = [e for e in edges if e["source"] in known and e["target"] in known]
    return {
        "experiment": row.name,
        "run_id": run_number,
        "live_run_id": live_number,
        "nodes": nodes,
        "edges": _dedupe(edges),
        "events": [_event(e, numbers) for e in history],
    }


def _edge(source: str, target: str, kind: str) -> dict[str, Any]:
    return {"source": source, "target": target, "type": kind}


def _dedupe(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for edge in edges:
        key = (edge["source"], edge["target"], edge["type"])
        if key not in seen:
            seen.add(key)
            kept.append(edge)
    return kept


# --- diff of two runs ------------------------------------------------------------------------


def document_changes(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two documents differ; lists of named items (tables, columns) are matched by
    name, so inserting a column reports that column, not every one after it.

    >>> document_changes({"tables": [{"name": "t", "rows": 1}]}, {"tables": [{"name": "t", "rows": 2}]})
    ['tables[t].rows']
    """
    if isinstance(a, dict) and isinstance(b, dict):
        changes = []
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                changes.append(sub)
            else:
                changes += document_changes(a[key], b[key], sub)
        return changes
    if isinstance(a, list) and isinstance(b, list) and _named(a) and _named(b):
        left = {item["name"]: item for item in a}
        right = {item["name"]: item for item in b}
        changes = []
        for name in list(dict.fromkeys([*left, *right])):
            sub = f"{path}[{name}]"
            if name not in left or name not in right:
                changes.append(sub)
            else:
                changes += document_changes(left[name], right[name], sub)
        return changes
    return [] if a == b else [path or "."]


def _named(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def _flat(provenance: dict[str, Any] | None) -> dict[str, Any]:
    p = provenance or {}
    flat = {"project_version": p.get("project_version"), "lock_digest": p.get("lock_digest")}
    flat |= {name: v for name, v in (p.get("libraries") or {}).items()}
    return flat


def _pair(a: Any, b: Any) -> dict[str, Any]:
    return {"same": a == b, "a": a, "b": b}


def run_diff(a: RunRow, b: RunRow) -> dict[str, Any]:
    """What differs between two runs: document, seed, plan, shard size, versions, row counts."""
    va, vb = _flat(a.provenance), _flat(b.provenance)
    tables = list(dict.fromkeys([*a.row_targets, *b.row_targets]))
    counts = {
        t: {
            "target": _pair(a.row_targets.get(t), b.row_targets.get(t)),
            "loaded": _pair((a.reconciled_counts or {}).get(t), (b.reconciled_counts or {}).get(t)),
        }
        for t in tables
    }
    paths = document_changes(a.schema_json, b.schema_json)
    digest = (
        (a.provenance or {}).get("document_digest"),
        (b.provenance or {}).get("document_digest"),
    )
    return {
        "a": a.number,
        "b": b.number,
        "document": {
            "same": not paths,
            "a_version": a.experiment_version,
            "b_version": b.experiment_version,
            "a_digest": digest[0],
            "b_digest": digest[1],
            "changed": paths,
        },
        "seed": _pair(str(a.seed), str(b.seed)),
        "plan_digest": _pair(a.plan_digest, b.plan_digest),
        "shard_size": _pair(a.shard_size, b.shard_size),
        "versions": {k: _pair(va.get(k), vb.get(k)) for k in dict.fromkeys([*va, *vb])},
        "counts": counts,
        "same_data_expected": not paths
        and a.seed == b.seed
        and a.plan_digest == b.plan_digest
        and a.shard_size == b.shard_size
        and va == vb,
    }
