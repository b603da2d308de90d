from __future__ import annotations

import argparse

import pytest

from dwsim_cli.parser import parse_args, positive_float, positive_int, rows_item


@pytest.mark.parametrize(
    ("text", "expected"),
    [("customers=1000", ("customers", 1000)), ("order_items=1", ("order_items", 1))],
)
def test_rows_item_accepts_table_equals_positive_int(text: str, expected: tuple) -> None:
    assert rows_item(text) == expected


@pytest.mark.parametrize(
    "text", ["customers", "=5", "t=0", "t=-3", "t=1.5", "t=abc", "t=1e6", "t="]
)
def test_rows_item_rejects_bad_shape(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="TABLE=N"):
        rows_item(text)


def test_positive_number_types_reject_zero_and_junk() -> None:
    assert positive_int("3") == 3
    assert positive_float("0.5") == 0.5
    for bad in ("0", "-1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)
    for bad in ("0", "-2", "nan", "inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_float(bad)


def test_generate_options_are_parsed_and_rows_merged() -> None:
    args, _ = parse_args(
        [
            "experiment", "generate", "shop",
            "--rows", "a=1", "b=2", "--rows", "a=5",
            "--seed", "-4", "--shard-size", "100", "--wait",
            "--timeout", "30", "--poll-interval", "0.2",
        ],
        {},
    )  # fmt: skip
    assert args.name == "shop"
    assert args.rows == {"a": 5, "b": 2}
    assert (args.seed, args.shard_size, args.wait) == (-4, 100, True)
    assert (args.timeout, args.poll_interval) == (30.0, 0.2)


def test_generate_defaults() -> None:
    args, _ = parse_args(["experiment", "generate", "shop"], {})
    assert (args.rows, args.seed, args.shard_size, args.wait) == (None, None, None, False)
    assert args.timeout is None
    assert args.poll_interval == 1.0


def test_bad_rows_value_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["experiment", "generate", "shop", "--rows", "customers=lots"], {})
    assert exc.value.code == 2
    assert "expected TABLE=N with N a positive integer, got 'customers=lots'" in (
        capsys.readouterr().err
    )


def test_global_options_count_before_and_after_the_subcommand() -> None:
    _, before = parse_args(["--url", "http://a:1", "--json", "experiment", "list"], {})
    _, after = parse_args(["experiment", "list", "--url", "http://a:1", "--json"], {})
    assert before.url == after.url == "http://a:1"
    assert before.as_json and after.as_json
    assert not before.print_curl


def test_url_and_token_default_from_environment() -> None:
    env = {"DWSIM_URL": "http://gw:9000", "DWSIM_API_TOKEN": "tok"}
    _, options = parse_args(["experiment", "list"], env)
    assert (options.url, options.token) == ("http://gw:9000", "tok")
    _, options = parse_args(["--token", "cli", "--url", "http://x:1", "experiment", "list"], env)
    assert (options.url, options.token) == ("http://x:1", "cli")


def test_builtin_default_url_and_empty_token_means_none() -> None:
    _, options = parse_args(["experiment", "list"], {"DWSIM_API_TOKEN": ""})
    assert options.url == "http://127.0.0.1:8000"
    assert options.token is None


def test_url_without_scheme_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["--url", "localhost:8000", "experiment", "list"], {})
    assert exc.value.code == 2
    assert "http://" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["experiment"], ["runs", "show", "shop"], ["runs", "show", "shop", "x"],
     ["query", "run", "shop", "select 1", "--format", "xml"]],
)  # fmt: skip
def test_incomplete_or_invalid_command_lines_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, {})
    assert exc.value.code == 2


def test_query_and_runs_arguments() -> None:
    args, _ = parse_args(
        ["query", "run", "shop", "select 1", "--limit", "5", "--format", "csv"], {}
    )
    assert (args.name, args.sql, args.limit, args.format) == ("shop", "select 1", 5, "csv")
    args, _ = parse_args(["runs", "show", "shop", "12"], {})
    assert (args.name, args.run_id) == ("shop", 12)


def test_import_sql_options() -> None:
    args, _ = parse_args(
        [
            "experiment", "import-sql", "shop.sql", "--name", "shop", "--dialect", "redshift",
            "--target-warehouse", "sqlite", "--rows", "a=1", "b=2", "--rows", "a=3",
            "--target-rows", "50", "--locale", "de_DE", "--seed", "7",
        ],
        {},
    )  # fmt: skip
    assert (args.file, args.name, args.dialect, args.target_warehouse) == (
        "shop.sql", "shop", "redshift", "sqlite",
    )  # fmt: skip
    assert args.rows == {"a": 3, "b": 2}
    assert (args.target_rows, args.locale, args.seed) == (50, "de_DE", 7)
    args, _ = parse_args(["experiment", "import-sql", "-", "--name", "s", "--dialect", "x"], {})
    assert (args.rows, args.target_rows, args.target_warehouse, args.locale, args.seed) == (
        (None,) * 5
    )


def test_validate_and_update_arguments() -> None:
    args, _ = parse_args(["experiment", "validate", "f.json"], {})
    assert (args.file, args.dialect, args.name) == ("f.json", None, None)
    args, _ = parse_args(["experiment", "validate", "f.sql", "--dialect", "postgres"], {})
    assert (args.file, args.dialect) == ("f.sql", "postgres")
    args, _ = parse_args(["experiment", "update", "shop", "-"], {})
    assert (args.name, args.file) == ("shop", "-")


@pytest.mark.parametrize(
    "argv",
    [["experiment", "import-sql", "f.sql", "--dialect", "redshift"],
     ["experiment", "import-sql", "f.sql", "--name", "shop"],
     ["experiment", "import-sql", "f.sql", "--name", "s", "--dialect", "d", "--target-rows", "0"],
     ["experiment", "validate"],
     ["experiment", "update", "shop"]],
)  # fmt: skip
def test_new_experiment_commands_need_their_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, {})
    assert exc.value.code == 2
