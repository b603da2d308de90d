"""`dw-sim experiment lineage` and `lineage-diff`: one GET each, shown as text, JSON or DOT."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from dwsim_cli import commands
from dwsim_cli.api import _experiment_path
from dwsim_cli.client import ApiRequest
from dwsim_cli.errors import EXIT_OK

FORMATS = ("text", "json", "dot")


def lineage_request(name: str, run_id: int | None = None) -> ApiRequest:
    """GET /api/experiments/{name}/lineage[?run=N]."""
    query = f"?run={run_id}" if run_id is not None else ""
    return ApiRequest("GET", f"{_experiment_path(name)}/lineage{query}")


def diff_request(name: str, a: int, b: int) -> ApiRequest:
    """GET /api/experiments/{name}/lineage/diff?a=A&b=B."""
    return ApiRequest("GET", f"{_experiment_path(name)}/lineage/diff?a={a}&b={b}")


def _quote(text: str) -> str:
    return json.dumps(text)  # DOT strings escape like JSON ones


def to_dot(graph: dict[str, Any]) -> str:
    """The graph in Graphviz DOT: one cluster per node type, the live path drawn bold."""
    shapes = {"experiment_version": "note", "run": "box", "object": "cylinder",
              "load": "component", "table": "tab"}  # fmt: skip
    lines = [f"digraph {_quote('lineage ' + graph['experiment'])} {{", "  rankdir=LR;"]
    for node in graph["nodes"]:
        style = ', style=bold, color="darkgreen"' if node.get("live") else ""
        shape = shapes.get(node["type"], "ellipse")
        lines.append(
            f"  {_quote(node['id'])} [label={_quote(node['label'])}, shape={shape}{style}];"
        )
    for edge in graph["edges"]:
        style = ', style=bold, color="darkgreen"' if edge.get("live") else ""
        lines.append(
            f"  {_quote(edge['source'])} -> {_quote(edge['target'])} "
            f"[label={_quote(edge['type'])}{style}];"
        )
    lines.append("}")
    return "\n".join(lines)


def to_text(graph: dict[str, Any]) -> list[str]:
    """Runs with their version, source, objects per table and where each table went."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    lines = [f"lineage of {graph['experiment']} (live run: {graph['live_run_id'] or 'none'})"]
    for node in graph["nodes"]:
        if node["type"] == "experiment_version":
            lines.append(f"version {node['version']}  digest {node['digest'][:12]}")
    out_edges: dict[str, list[dict[str, Any]]] = {}
    for edge in graph["edges"]:
        out_edges.setdefault(edge["source"], []).append(edge)
    for run in (n for n in graph["nodes"] if n["type"] == "run"):
        live = "  LIVE" if run["live"] else ""
        origin = (
            f"reloads run {run['source_run_id']}"
            if run["source_run_id"]
            else f"from version {run['experiment_version']}"
        )
        lines.append(
            f"run {run['run_id']} {run['kind']} {run['status']}{live}  {origin}  "
            f"seed {run['seed']}  plan {(run['plan_digest'] or '-')[:12]}"
        )
        objects = [nodes[e["target"]] for e in out_edges.get(run["id"], []) if e["type"] == "wrote"]
        by_table: dict[str, list[dict[str, Any]]] = {}
        for obj in objects:
            by_table.setdefault(obj["table"], []).append(obj)
        for table, parts in by_table.items():
            rows = sum(p["rows"] or 0 for p in parts)
            size = sum(p["bytes"] or 0 for p in parts)
            lines.append(f"  {table}: {len(parts)} objects, {rows:,} rows, {size:,} bytes")
        for load in (
            n for n in graph["nodes"] if n["type"] == "load" and n["run_id"] == run["run_id"]
        ):
            target = "published" if load["published_at"] else "not published"
            lines.append(
                f"  load {load['table']} -> {load['warehouse']} via {load['staging']}: "
                f"{load['rows_loaded']:,} rows, {target}"
            )
    for table in (n for n in graph["nodes"] if n["type"] == "table"):
        lines.append(f"table {table['table']}: {table['state']} (run {table['live_run_id']})")
    lines.append("history:")
    for event in graph["events"]:
        run = f" run {event['run_id']}" if event.get("run_id") else ""
        lines.append(f"  {event['at'][:19]}  {event['kind']}{run}")
    return lines


def show_lineage(ctx: commands.Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json or args.format == "json":
        ctx.print_json(answer)
    elif args.format == "dot":
        ctx.print(to_dot(answer))
    else:
        for line in to_text(answer):
            ctx.print(line)
    return EXIT_OK


def show_diff(ctx: commands.Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    ctx.print(f"run {answer['a']} vs run {answer['b']}")
    doc = answer["document"]
    ctx.print(
        "document: same"
        if doc["same"]
        else f"document: v{doc['a_version']} -> v{doc['b_version']}, changed {', '.join(doc['changed'])}"
    )
    for key in ("seed", "plan_digest", "shard_size"):
        pair = answer[key]
        change = "same" if pair["same"] else f"{pair['a']} -> {pair['b']}"
        ctx.print(f"{key}: {change}")
    for name, pair in answer["versions"].items():
        if not pair["same"]:
            ctx.print(f"{name}: {pair['a']} -> {pair['b']}")
    for table, figures in answer["counts"].items():
        for what, pair in figures.items():
            if not pair["same"]:
                ctx.print(f"{table} {what} rows: {pair['a']} -> {pair['b']}")
    verdict = "the same data" if answer["same_data_expected"] else "different data"
    ctx.print(f"=> expect {verdict}")
    return EXIT_OK


def add_commands(exp_sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    p = leaf(
        exp_sub,
        "lineage",
        "show where every table's data came from (versions, runs, objects, loads, live tables)",
        lambda args: lineage_request(args.name, args.run),
        show_lineage,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--run", type=int, default=None, metavar="N", help="only what leads to run N")
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default), json or dot")
    p = leaf(
        exp_sub,
        "lineage-diff",
        "what changed between two runs: document, seed, plan, library versions, counts",
        lambda args: diff_request(args.name, args.a, args.b),
        show_diff,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("a", metavar="RUN_A", type=int)
    p.add_argument("b", metavar="RUN_B", type=int)
