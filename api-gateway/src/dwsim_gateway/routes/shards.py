"""`GET /api/experiments/{name}/runs/{run_id}/shards`: a run shard by shard, and its Parquet."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from dwsim_gateway.deps import ExperimentDep, RunDep, RuntimeDep, SessionDep
from dwsim_gateway.models import ShardList
from dwsim_shared.objectstore import shard_key
from dwsim_shared.state.models import RunRow, RunShardRow

router = APIRouter(tags=["runs"])


@router.get("/{name}/runs/{run_id}/shards", response_model=ShardList)
def run_shards(row: ExperimentDep, run: RunDep, session: SessionDep, rt: RuntimeDep) -> Any:
    """Every shard of a run (state, attempts, worker, error, object) and the objects it wrote."""
    shards = session.scalars(
        select(RunShardRow)
        .where(RunShardRow.run_id == run.id)
        .order_by(RunShardRow.table_name, RunShardRow.shard_index)
    ).all()
    return {
        "run_id": run.number,
        "experiment": row.name,
        "status": run.status,
        "shards": [
            {
                "table": s.table_name,
                "shard_index": s.shard_index,
                "row_start": s.row_start,
                "row_count": s.row_count,
                "status": s.status,
                "attempts": s.attempts,
                "worker": s.worker,
                "rows_written": s.rows_written,
                "rows_loaded": s.rows_loaded,
                "last_error": s.last_error,
                "object_key": s.object_key,
                "object_url": rt.objects.url(s.object_key) if s.object_key else None,
                "updated_at": s.updated_at.isoformat(),
            }
            for s in shards
        ],
        "objects": [rt.objects.url(key) for key in _stored_objects(rt, row.name, run)],
    }


def _stored_objects(rt: Any, experiment: str, run: RunRow) -> list[str]:
    """What the object store holds under the run's prefixes (not what the shards claim)."""
    keys: list[str] = []
    for table in run.row_targets:
        prefix = shard_key(experiment, table, run.id, 0).rsplit("/", 1)[0] + "/"
        keys += rt.objects.list_keys(prefix)
    return sorted(keys)
