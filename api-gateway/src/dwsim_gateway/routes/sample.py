"""The sample: about 10 rows per table computed from the rules at once, without a run.

The rows are the generator's own (`generation.sample`): a run with the same seed, row counts and
shard size writes exactly these as its first rows. An unsaved document (the rules being edited)
can be sampled too; it is checked as `POST /api/experiments/validate` checks it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, ValidationError

from dwsim_gateway.deps import ExperimentDep, SettingsDep
from dwsim_gateway.routes.experiments import _ready
from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment, invalid_input
from dwsim_shared.experiment_checks import check_experiment
from dwsim_shared.generation.sample import sample_tables
from dwsim_shared.input_limits import check_run_size
from dwsim_shared.runs.plan import row_targets_for, with_row_targets

router = APIRouter(tags=["experiments"])

# JavaScript reads numbers as doubles: an integer past 2**53 travels as text, as seeds do.
_SAFE_INTEGER = 2**53


class SampleRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"seed": "42", "limit": 10}, {}]},
    }

    rows: dict[str, Annotated[int, Field(ge=0)]] | None = Field(
        default=None, description="Row count per table, as a generate request gives it."
    )
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = Field(
        default=None,
        description="Run seed (a number or its digits as a string); default: the experiment's "
        "seed, else a random one (answered, so a run can use it).",
    )
    shard_size: Annotated[int, Field(ge=1, le=50_000_000)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = Field(
        default=10, description="Rows per table (at most 100)."
    )
    experiment: dict[str, Any] | None = Field(
        default=None,
        description="An unsaved version of this experiment's document to sample instead.",
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > _SAFE_INTEGER:
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _document(row: Any, request: SampleRequest, settings: Any) -> Experiment:
    if request.experiment is None:
        return Experiment.model_validate(row.schema_json)
    if request.experiment.get("name", row.name) != row.name:
        raise InvalidInput(
            f"experiment.name: the document is named {request.experiment.get('name')!r} but "
            f"the URL names {row.name!r}",
            path="experiment.name",
        )
    try:
        experiment = Experiment.model_validate({**request.experiment, "name": row.name})
    except ValidationError as error:
        raise invalid_input(error, prefix=("experiment",)) from None
    return _ready(experiment, settings)


@router.post("/{name}/sample")
def sample(
    row: ExperimentDep,
    settings: SettingsDep,
    request: Annotated[SampleRequest | None, Body()] = None,
) -> dict[str, Any]:
    """The first rows of every table as a run with this seed, row counts and shard size writes
    them, computed now from the rules (nothing is stored, no warehouse is touched)."""
    request = request or SampleRequest()
    experiment = _document(row, request, settings)
    targets = row_targets_for(experiment, request.rows)
    shard_size = request.shard_size or settings.shard_size
    check_run_size(targets, shard_size, settings)
    if request.rows:
        check_experiment(with_row_targets(experiment, targets))
    if request.seed is not None:
        seed = request.seed
    elif experiment.seed is not None:
        seed = experiment.seed
    else:
        seed = secrets.randbits(62)  # as a run without a seed draws its own
    data = sample_tables(
        experiment, seed=seed, row_targets=targets, shard_size=shard_size, limit=request.limit
    )
    tables = []
    for table in experiment.tables:
        rows = data[table.name].to_pylist()
        names = [c.name for c in table.columns]
        tables.append(
            {
                "name": table.name,
                "target_rows": targets[table.name],
                "columns": [
                    {"name": c.name, "type": (c.source_type or c.data_type).upper()}
                    for c in table.columns
                ],
                "rows": [[_json_value(r[n]) for n in names] for r in rows],
            }
        )
    return {
        "experiment": row.name,
        "seed": str(seed),
        "shard_size": shard_size,
        "limit": request.limit,
        "tables": tables,
    }
