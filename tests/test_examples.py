"""docs/examples: the DDL files the README's commands use import as they are, and the demo's
DDL is the one shown there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from dwsim_shared.admin.demo import demo_ddl, demo_ports
from dwsim_shared.ddl import import_ddl
from dwsim_shared.experiment_checks import check_experiment

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    lines = re.findall(r"^\.venv/bin/dw-sim (.+?)(?:\s+#.*)?$", text, re.M)
    return [shlex.split(line.split("&&")[0]) for line in lines]


def test_readme_names_dwsim_url() -> None:
    assert "DWSIM_URL" in (ROOT / "README.md").read_text()


def test_every_file_the_readme_commands_read_exists() -> None:
    files = [a for cmd in readme_commands() for a in cmd if a.startswith("docs/")]
    assert {"docs/examples/redshift_shop.sql", "docs/examples/snowflake_events.sql"} <= set(files)
    for name in files:
        assert (ROOT / name).is_file(), name


@pytest.mark.parametrize(
    ("name", "dialect", "tables"),
    [
        ("redshift_shop.sql", "redshift", ["customers", "orders", "order_items"]),
        ("snowflake_events.sql", "snowflake", ["accounts", "users", "events"]),
    ],
)
def test_example_ddl_imports_as_it_is(name: str, dialect: str, tables: list[str]) -> None:
    command = next(c for c in readme_commands() if f"docs/examples/{name}" in c)
    assert command[command.index("--dialect") + 1] == dialect
    result = import_ddl((ROOT / "docs" / "examples" / name).read_text(), dialect, name="x")
    assert [t.name for t in result.experiment.tables] == tables
    assert any(t.foreign_keys or any(c.foreign_key for c in t.columns)
               for t in result.experiment.tables)  # fmt: skip
    check_experiment(result.experiment)


def test_the_demo_ddl_is_the_example_in_docs() -> None:
    assert demo_ddl() == (ROOT / "docs" / "examples" / "redshift_shop.sql").read_text()


def test_demo_ports_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DWSIM_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("DWSIM_QUERY_SERVICE_PORT", raising=False)
    assert demo_ports() == (0, 0)
    monkeypatch.setenv("DWSIM_GATEWAY_PORT", "18123")
    monkeypatch.setenv("DWSIM_QUERY_SERVICE_PORT", "18124")
    assert demo_ports() == (18123, 18124)


def test_demo_values_share_one_precision() -> None:
    from dwsim_shared.admin.demo import shown

    assert [shown(v) for v in (905988.0, 939183.97, 1234567, "DE", None)] == [
        "905,988.00", "939,183.97", "1,234,567", "DE", "None"
    ]  # fmt: skip


def test_every_readme_command_parses_as_written() -> None:
    """No placeholder a shell would pass on literally (`[--recompute]`, `$EDITOR` unset): each
    `dw-sim` line of "Running it" is a command line the CLI accepts as it stands."""
    from dwsim_cli.parser import build_parser

    block = (ROOT / "README.md").read_text().split("## Running it", 1)[1].split("```")[1]
    shell_lines = [
        line.split("  #")[0].strip()
        for line in block.splitlines()[1:]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert not [line for line in shell_lines if "$" in line or "[" in line], shell_lines
    parser = build_parser()
    commands = [shlex.split(part.strip()) for line in shell_lines for part in line.split("&&")]
    commands = [c[1:] for c in commands if c and c[0] == ".venv/bin/dw-sim"]
    assert len(commands) >= 20
    for argv in commands:
        try:
            parser.parse_args(argv[: argv.index(">")] if ">" in argv else argv)
        except SystemExit:
            pytest.fail(f"README: dw-sim {shlex.join(argv)} is not a valid command line")
    runs = [c for c in commands if c[:1] == ["runs"]]
    assert ["runs", "report", "dw", "1"] in runs  # dw's first run is 1
