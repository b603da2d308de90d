"""A seed means the same bytes on any day: Faker's clock reads the experiment's reference time."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import clock
from dwsim_shared.generation.faker_pools import faker_pool, reads_clock
from dwsim_shared.generation.plan import compile_plan

DATE_DIMENSION = {
    "name": "dates",
    "tables": [
        {
            "name": "date_dim",
            "target_rows": 3000,
            "columns": [
                {"name": "d_date_sk", "data_type": "INT", "is_unique": True},
                {"name": "d_date", "data_type": "DATE"},
                {"name": "d_ts", "data_type": "TIMESTAMP"},
                {"name": "d_day_name", "data_type": "VARCHAR", "varchar_length": 9, "faker_rule": "day_of_week"},
                {"name": "d_month_name", "data_type": "VARCHAR", "varchar_length": 9, "faker_rule": "month_name"},
                {"name": "d_seen", "data_type": "VARCHAR", "faker_rule": "date_time"},
                {"name": "d_past", "data_type": "VARCHAR", "faker_rule": "past_date"},
                {"name": "d_future", "data_type": "VARCHAR", "faker_rule": "future_date"},
                {"name": "d_this_year", "data_type": "VARCHAR", "faker_rule": "date_this_year"},
                {"name": "d_unix", "data_type": "VARCHAR", "faker_rule": "unix_time"},
                {"name": "d_birth", "data_type": "VARCHAR", "faker_rule": "date_of_birth"},
                {"name": "d_city", "data_type": "VARCHAR", "faker_rule": "city"},
            ],
        }
    ],
}  # fmt: skip

# Generates the table into argv[1] and prints the file's sha256 (run under a moved clock).
SCRIPT = """
import json, sys, hashlib
from pathlib import Path
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation.shard import write_rows_parquet
exp = parse_experiment(json.loads(sys.argv[2]))
path = Path(sys.argv[1])
write_rows_parquet(exp, "date_dim", path, seed=42, row_start=0, row_count=3000)
print(hashlib.sha256(path.read_bytes()).hexdigest())
"""


def _generate(tmp_path: Path, name: str, document: dict, prefix: list[str], tz: str) -> str:
    import json

    env = {**os.environ, "TZ": tz}
    out = subprocess.run(
        [*prefix, sys.executable, "-c", SCRIPT, str(tmp_path / name), json.dumps(document)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_same_seed_same_bytes_under_a_clock_moved_by_years(tmp_path: Path) -> None:
    faketime = shutil.which("faketime")
    assert faketime, "faketime is needed (apt-get install faketime)"
    today = _generate(tmp_path, "today.parquet", DATE_DIMENSION, [], "UTC")
    later = _generate(tmp_path, "later.parquet", DATE_DIMENSION, [faketime, "-f", "+3y"], "UTC")
    earlier = _generate(
        tmp_path, "earlier.parquet", DATE_DIMENSION, [faketime, "2019-06-30 23:59:00"], "Asia/Tokyo"
    )
    assert today == later == earlier
    # the clock really moved for the subprocess (else the comparison proves nothing)
    year = subprocess.run([faketime, "-f", "+3y", sys.executable, "-c",
                           "import datetime; print(datetime.date.today().year)"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert int(year) == dt.date.today().year + 3


def test_the_reference_time_decides_the_values_and_the_digest(tmp_path: Path) -> None:
    moved = {**DATE_DIMENSION, "reference_time": "2031-07-01T00:00:00Z"}
    assert _generate(tmp_path, "a.parquet", DATE_DIMENSION, [], "UTC") != _generate(
        tmp_path, "b.parquet", moved, [], "UTC"
    )
    default, later = (
        compile_plan(parse_experiment(DATE_DIMENSION)),
        compile_plan(parse_experiment(moved)),
    )
    assert default.reference_time == clock.DEFAULT_REFERENCE_TIME
    assert default.describe()["reference_time"] == "2025-01-01T00:00:00+00:00"
    assert default.digest != later.digest


def test_a_plan_without_clock_rules_keeps_its_digest() -> None:
    doc = {"name": "x", "tables": [{"name": "t", "target_rows": 5, "columns": [
        {"name": "id", "data_type": "INT", "is_unique": True},
        {"name": "city", "data_type": "VARCHAR", "faker_rule": "city"},
        {"name": "day", "data_type": "DATE"}]}]}  # fmt: skip
    plan = compile_plan(parse_experiment(doc))
    moved = compile_plan(parse_experiment({**doc, "reference_time": "2040-01-01T00:00:00Z"}))
    assert "reference_time" not in plan.describe()
    assert plan.digest == moved.digest


def test_clock_rules_are_detected() -> None:
    for rule in (
        "day_of_week",
        "month_name",
        "date_time",
        "past_date",
        "date_this_year",
        "unix_time",
    ):
        assert reads_clock("en_US", rule), rule
    for rule in ("city", "email", "first_name", "enum"):  # enum needs an argument: no answer
        assert not reads_clock("en_US", rule), rule


def test_pinning_is_per_thread_and_faker_keeps_the_real_clock_outside() -> None:
    import concurrent.futures

    faker_pool("en_US", "date_time", 7)  # installs the stand-ins
    from faker.providers import date_time as faker_dt

    with clock.frozen(dt.datetime(2001, 1, 1, tzinfo=dt.UTC)):
        assert faker_dt.datetime.now().year == 2001
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(lambda: faker_dt.datetime.now().year).result() >= 2026
        assert isinstance(dt.datetime(2020, 1, 1), faker_dt.datetime)
        assert type(faker_dt.datetime(2020, 1, 1)) is dt.datetime
    assert faker_dt.dtdate.today() == dt.date.today()


@pytest.mark.parametrize("locale", ["en_US", "fi_FI", "sv_SE"])
def test_locale_providers_with_their_own_clock_calls_are_pinned(locale: str) -> None:
    rule = "ssn" if locale != "en_US" else "date_of_birth"
    a = faker_pool(locale, rule, 3, dt.datetime(2010, 1, 1, tzinfo=dt.UTC), 50)
    faker_pool.cache_clear()
    b = faker_pool(locale, rule, 3, dt.datetime(2010, 1, 1, tzinfo=dt.UTC), 50)
    assert a.equals(b)
    assert reads_clock(locale, rule)


def test_an_implausible_reference_time_is_refused_by_name() -> None:
    from dwsim_shared.errors import InvalidInput

    with pytest.raises(InvalidInput, match="reference_time"):
        parse_experiment({**DATE_DIMENSION, "reference_time": "1960-01-01T00:00:00Z"})
