"""`POST /api/experiments/{name}/explain`: the engine's plan of a query, through the query
service (the statement is checked and rewritten as a query is; nothing runs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from dwsim_gateway.deps import ExperimentDep, QueryServiceDep

router = APIRouter(tags=["query"])


class ExplainRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"sql": "SELECT tier, COUNT(*) FROM customers GROUP BY 1"}]
        },
    }

    sql: str = Field(max_length=1_000_000, description="One read-only statement to explain.")

    @field_validator("sql")
    @classmethod
    def _not_blank(cls, sql: str) -> str:
        if not sql.strip():
            raise ValueError("the SQL is empty: write a statement to explain")
        return sql


@router.post("/{name}/explain")
def explain(
    row: ExperimentDep, request: ExplainRequest, query_service: QueryServiceDep
) -> dict[str, Any]:
    """The plan as a tree (`plan`: nodes with `label`, `details`, `children`) and as indented
    text; an engine without plans (the Snowflake emulator) refuses EXPLAIN by name."""
    return query_service.post("/explain", {"experiment": row.name, "sql": request.sql})
