"""Experiment documents the tests of several packages share."""

from __future__ import annotations

from typing import Any

# (No column is named `at`: the Snowflake emulator loader fails on it, a known gap of its own.)
# Every rule kind, nulls, a composite key, a multi-column and a Zipf foreign key, in three tables.
EVERY_RULE: dict[str, Any] = {
    "name": "every_rule",
    "source_dialect": "snowflake",
    "tables": [
        {
            "name": "parent",
            "target_rows": 300,
            "primary_key": ["id"],
            "unique_constraints": [["region", "code"]],
            "columns": [
                {"name": "id", "data_type": "BIGINT"},
                {
                    "name": "region",
                    "data_type": "VARCHAR",
                    "varchar_length": 2,
                    "choices": ["EU", "US", "JP"],
                },
                {"name": "code", "data_type": "INT", "min_value": 1, "max_value": 500},
                {
                    "name": "email",
                    "data_type": "VARCHAR",
                    "varchar_length": 80,
                    "faker_rule": "email",
                    "is_unique": True,
                },
                {
                    "name": "name",
                    "data_type": "VARCHAR",
                    "varchar_length": 40,
                    "faker_rule": "name",
                    "null_rate": 0.2,
                    "required": False,
                },
            ],
        },
        {
            "name": "child",
            "target_rows": 5000,
            "primary_key": ["id"],
            "foreign_keys": [
                {
                    "columns": ["p_region", "p_code"],
                    "references_table": "parent",
                    "references_columns": ["region", "code"],
                    "nullable": True,
                }
            ],
            "columns": [
                {"name": "id", "data_type": "BIGINT", "sequence": {"start": 100, "step": 3}},
                {
                    "name": "parent_id",
                    "data_type": "BIGINT",
                    "foreign_key": {
                        "references_table": "parent",
                        "references_column": "id",
                        "parent_selection": {"type": "zipf", "s": 1.3},
                    },
                },
                {
                    "name": "p_region",
                    "data_type": "VARCHAR",
                    "varchar_length": 2,
                    "required": False,
                },
                {"name": "p_code", "data_type": "INT", "required": False},
                {
                    "name": "tier",
                    "data_type": "VARCHAR",
                    "varchar_length": 10,
                    "choices": ["free", "pro", "max"],
                    "weights": [0.7, 0.2, 0.1],
                },
                {
                    "name": "amount",
                    "data_type": "DECIMAL",
                    "precision": 12,
                    "scale": 2,
                    "min_value": 1,
                    "max_value": 900,
                    "distribution": {"type": "lognormal", "parameters": {"mean": 3, "sigma": 1}},
                },
                {
                    "name": "score",
                    "data_type": "DOUBLE",
                    "min_value": 0,
                    "max_value": 1,
                    "distribution": {"type": "beta", "parameters": {"alpha": 2, "beta": 3}},
                },
                {
                    "name": "qty",
                    "data_type": "INT",
                    "min_value": 1,
                    "max_value": 9,
                    "null_rate": 0.3,
                    "required": False,
                },
                {
                    "name": "order_day",
                    "data_type": "DATE",
                    "date_start": "2024-01-01",
                    "date_end": "2024-12-31",
                },
                {"name": "placed_at", "data_type": "TIMESTAMP"},
                {
                    "name": "at_tz",
                    "data_type": "TIMESTAMP_TZ",
                    "date_start": "2023-01-01",
                    "date_end": "2023-02-01",
                },
                {"name": "clock", "data_type": "TIME"},
                {"name": "flag", "data_type": "BOOLEAN"},
                {"name": "note", "data_type": "VARCHAR", "varchar_length": 30},
                {
                    "name": "sku",
                    "data_type": "VARCHAR",
                    "varchar_length": 12,
                    "pattern": "SKU-{???}-{##*}",
                },
                {"name": "doc", "data_type": "VARIANT"},
                {"name": "tags", "data_type": "ARRAY"},
            ],
        },
        {
            "name": "pairs",
            "target_rows": 40,
            "composite_keys": [["a", "b"]],
            "columns": [
                {"name": "a", "data_type": "INT", "min_value": 1, "max_value": 8},
                {
                    "name": "b",
                    "data_type": "DATE",
                    "date_start": "2024-01-01",
                    "date_end": "2024-01-31",
                },
                {"name": "c", "data_type": "VARCHAR", "varchar_length": 20, "faker_rule": "word"},
            ],
        },
    ],
}
