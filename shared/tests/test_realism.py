"""Imported DDL gives data that looks like a real warehouse's: spread dates, long-tailed
quantities and prices, flags and codes of the right shape; every guess marked `inferred`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dwsim_shared.ddl import import_ddl
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation import generate_shard

HERE = Path(__file__).parent
CORPUS = HERE / "ddl" / "corpus"


def generated(exp: Experiment, table: str) -> pa.Table:
    rows = exp.table(table).target_rows  # type: ignore[union-attr]
    return generate_shard(exp, table, seed=9, row_start=0, row_count=rows)


def inferred(exp: Experiment, table: str, column: str) -> list[str]:
    return exp.table(table).column(column).inferred or []  # type: ignore[union-attr]


def test_retail_key_spreads_dates_and_measures_look_real() -> None:
    sql = (HERE / "realism" / "retail_daily_sales.sql").read_text()
    exp = import_ddl(sql, "redshift", name="retail",
                     rows={"stores": 200, "products": 500, "daily_sales": 300_000}).experiment  # fmt: skip
    sales = generated(exp, "daily_sales")
    assert pc.count_distinct(sales["sale_date"]).as_py() > 1000  # not 3
    units = np.array(sales["units_sold"].to_pylist())
    assert units.min() >= 1 and units.max() <= 100 and 3 <= np.median(units) <= 8  # long tail
    assert (units > 30).mean() > 0.005
    prices = np.array([float(p) for p in sales["unit_price"].to_pylist()])
    assert prices.min() > 0 and 10 < np.median(prices) < 50 and prices.max() > 200
    assert {"min_value", "max_value", "distribution"} <= set(
        inferred(exp, "daily_sales", "unit_price")
    )
    flags = set(sales["promo_flag"].drop_null().to_pylist())
    assert flags == {"Y", "N"} and "choices" in inferred(exp, "daily_sales", "promo_flag")
    rates = np.array([float(r) for r in sales["return_rate"].drop_null().to_pylist()])
    assert rates.min() >= 0 and rates.max() <= 1 and rates.mean() < 0.4
    stores = generated(exp, "stores")
    assert set(pc.utf8_length(stores["store_code"]).to_pylist()) == {6}  # unique CHAR(6) key
    assert set(pc.utf8_length(stores["region_code"].drop_null()).to_pylist()) == {3}
    assert "pattern" in inferred(exp, "stores", "region_code")
    comments = sales["comments"].drop_null()
    assert max(pc.utf8_length(comments).to_pylist()) <= 120 and " " in comments[0].as_py()


@pytest.mark.parametrize("dialect", ["redshift", "snowflake"])
def test_tpch_import_gives_plausible_values(dialect: str) -> None:
    sql = (CORPUS / f"{dialect}_tpch.sql").read_text()
    exp = import_ddl(sql, dialect, name="tpch", target_rows=20_000).experiment
    lines = generated(exp, "lineitem")
    quantity = np.array([float(q) for q in lines["l_quantity"].to_pylist()])
    assert quantity.min() >= 1 and quantity.max() <= 100 and np.median(quantity) < 10
    assert "distribution" in inferred(exp, "lineitem", "l_quantity")
    price = np.array([float(p) for p in lines["l_extendedprice"].to_pylist()])
    assert price.min() > 0 and np.median(price) < price.mean()  # right-skewed, as money is
    for flag in ("l_returnflag", "l_linestatus"):
        values = set(lines[flag].drop_null().to_pylist())
        assert values and all(len(v) == 1 for v in values), flag
    shipped = lines["l_shipdate"].drop_null()
    assert pc.count_distinct(shipped).as_py() > 500
    codes = [
        (t.name, c) for t in exp.tables for c in t.columns if c.data_type == "CHAR" and c.pattern
    ]
    assert codes or dialect == "snowflake"  # Snowflake's TPC-H spells these VARCHAR
    for table, col in codes:
        lengths = set(pc.utf8_length(generated(exp, table)[col.name].drop_null()).to_pylist())
        assert lengths == {col.varchar_length}, (table, col.name)
