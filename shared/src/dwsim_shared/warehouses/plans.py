"""An engine's query plan as one tree shape for every engine: `{"label", "details", "children"}`.

SQLite answers `EXPLAIN QUERY PLAN` as rows `(id, parent, notused, detail)`; PostgreSQL (the
Redshift mock) answers `EXPLAIN (FORMAT JSON)` as nested `Plan` / `Plans` objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PlanNode = dict[str, Any]

# PostgreSQL plan fields worth a line beside the node's name, in this order.
_PG_DETAILS = (
    "Join Type", "Hash Cond", "Merge Cond", "Join Filter", "Index Name", "Index Cond",
    "Filter", "Group Key", "Sort Key", "Strategy", "Subplan Name", "CTE Name",
)  # fmt: skip


def sqlite_plan(rows: Sequence[Sequence[Any]]) -> list[PlanNode]:
    """`EXPLAIN QUERY PLAN` rows as a tree (a node's parent is the row whose id it names).

    >>> sqlite_plan([(2, 0, 0, "SCAN t"), (5, 0, 0, "USE TEMP B-TREE FOR ORDER BY")])[1]["label"]
    'USE TEMP B-TREE FOR ORDER BY'
    """
    nodes: dict[int, PlanNode] = {}
    roots: list[PlanNode] = []
    for node_id, parent, _, detail in rows:
        node: PlanNode = {"label": str(detail), "details": [], "children": []}
        nodes[int(node_id)] = node
        (nodes[int(parent)]["children"] if int(parent) in nodes else roots).append(node)
    return roots


def _pg_node(plan: dict[str, Any]) -> PlanNode:
    label = str(plan.get("Node Type", "?"))
    if "Relation Name" in plan:
        relation = f"{plan.get('Schema', '')}.{plan['Relation Name']}".lstrip(".")
        alias = plan.get("Alias")
        label += f" on {relation}" + (
            f" {alias}" if alias and alias != plan["Relation Name"] else ""
        )
    details = []
    for key in _PG_DETAILS:
        if key in plan:
            value = plan[key]
            details.append(
                f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            )
    if "Total Cost" in plan:
        details.append(
            f"cost {plan.get('Startup Cost', 0)}..{plan['Total Cost']}, "
            f"about {plan.get('Plan Rows', '?')} rows of {plan.get('Plan Width', '?')} bytes"
        )
    return {
        "label": label,
        "details": details,
        "children": [_pg_node(p) for p in plan.get("Plans", [])],
    }


def postgres_plan(answer: Any) -> list[PlanNode]:
    """`EXPLAIN (FORMAT JSON)`'s one value (parsed or as text) as a tree."""
    if isinstance(answer, str):
        answer = json.loads(answer)
    return [_pg_node(item["Plan"]) for item in answer]


def plan_text(nodes: list[PlanNode], depth: int = 0) -> str:
    """The tree indented two spaces a level, details under their node.

    >>> print(plan_text([{"label": "A", "details": ["x"], "children": [
    ...     {"label": "B", "details": [], "children": []}]}]))
    A
      · x
      B
    """
    lines = []
    for node in nodes:
        pad = "  " * depth
        lines.append(pad + node["label"])
        lines.extend(f"{pad}  · {d}" for d in node["details"])
        if node["children"]:
            lines.append(plan_text(node["children"], depth + 1))
    return "\n".join(lines)
