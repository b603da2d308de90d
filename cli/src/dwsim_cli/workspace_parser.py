"""The analyst's commands in the `dw-sim` tree (kept apart from parser.py's core tree)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from dwsim_cli import workspace
from dwsim_cli.parser import positive_int

Leaf = Callable[..., argparse.ArgumentParser]


def add_workspace_commands(groups: Any, common: argparse.ArgumentParser, exp_sub: Any,
                           query_sub: Any, leaf: Leaf) -> None:  # fmt: skip
    """`experiment tables`, `table preview|profile`, `query save|list|show|delete|history`."""
    p = leaf(exp_sub, "tables", "list tables with columns, keys, rules and rows in the warehouse",
             workspace.build_tables, workspace.show_tables)  # fmt: skip
    p.add_argument("name", metavar="NAME")

    table = groups.add_parser("table", parents=[common], help="look at one table's data")
    table_sub = table.add_subparsers(dest="command", required=True, metavar="ACTION")
    p = leaf(table_sub, "preview", "the first rows of a table",
             workspace.build_preview, workspace.show_preview)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("table", metavar="TABLE")
    p.add_argument("--limit", type=positive_int, default=None, help="rows (default 50, max 1000)")
    p = leaf(table_sub, "profile",
             "per column: null fraction, distinct count, min, max, most frequent values",
             workspace.build_profile, workspace.show_profile)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("table", metavar="TABLE")

    p = leaf(query_sub, "save", "save a query under a name",
             workspace.build_query_save, workspace.show_query_saved)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("query_name", metavar="QUERY_NAME")
    p.add_argument("sql", metavar="SQL", nargs="?", help="the statement, or - for stdin")
    p.add_argument("--file", "-f", metavar="FILE", help="read the SQL from FILE")
    p = leaf(query_sub, "list", "list an experiment's saved queries",
             workspace.build_query_list, workspace.show_query_list)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p = leaf(query_sub, "show", "print a saved query's SQL",
             workspace.build_query_show, workspace.show_query_text)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("query_name", metavar="QUERY_NAME")
    p = leaf(query_sub, "delete", "delete a saved query",
             workspace.build_query_delete, workspace.show_query_deleted)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("query_name", metavar="QUERY_NAME")
    p = leaf(query_sub, "history", "the last queries run on an experiment, newest first",
             workspace.build_history, workspace.show_history)  # fmt: skip
    p.add_argument("name", metavar="NAME")
    p.add_argument("--limit", type=positive_int, default=20, help="entries shown (default 20)")
