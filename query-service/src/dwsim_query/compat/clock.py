"""Snowflake's other clocks as CURRENT_TIMESTAMP, which every engine already answers:
LOCALTIMESTAMP and SYSTIMESTAMP are CURRENT_TIMESTAMP (the parser already writes them so, but
for LOCALTIMESTAMP without parentheses), CURRENT_TIME and LOCALTIME its time of day (the same
statement start, in the session's time zone:
https://docs.snowflake.com/en/sql-reference/functions/current_time)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite


@parsed_rewrite("dates", dialects=["snowflake"])
def other_clocks(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    for node in list(tree.find_all(exp.Localtime, exp.Localtimestamp)):
        now = exp.CurrentTimestamp(this=node.args.get("this"))
        if isinstance(node, exp.Localtime):
            # through the wall-clock timestamp: the emulator casts no zoned timestamp to TIME
            wall = exp.cast(now, exp.DataType.build("TIMESTAMP_NTZ", dialect="snowflake"))
            replacement: exp.Expression = exp.cast(wall, exp.DataType.build("TIME"))
        else:
            replacement = now
        if node is tree:
            return replacement
        node.replace(replacement)
    return tree
