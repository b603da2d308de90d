"""What the Redshift endpoint sends for each kind of statement (pure functions, no server)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, cast

import pytest
import sqlglot

from dwsim_query.endpoint.scram import ScramFailed, ScramServer
from dwsim_query.endpoint.statements import REDSHIFT_VERSION, Refused, Translator, split_script


@pytest.fixture
def translator() -> Translator:
    # Only reads use the experiment's context; these cases never reach it.
    return Translator(cast(Any, None), "shop", 30_000)


def test_split_script_cuts_at_top_level_semicolons_only() -> None:
    assert split_script("SELECT ';'; SELECT 2 -- x;\n;  ") == ["SELECT ';'", " SELECT 2 -- x;\n"]
    assert split_script("  ") == []


@pytest.mark.parametrize(
    "sql",
    ["BEGIN", "start transaction read only", "COMMIT", "END", "ROLLBACK", "SAVEPOINT a",
     "RELEASE SAVEPOINT a", "SET datestyle TO ISO", "SET TIME ZONE 'UTC'",
     "set application_name = 'dbt'", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
     "SET statement_timeout = 1000", "SET statement_timeout TO '2s'", "RESET ALL",
     "DISCARD ALL", "SHOW server_version", "show transaction isolation level"],
)  # fmt: skip
def test_session_statements_pass_as_written(translator: Translator, sql: str) -> None:
    assert translator.statement(sql) == sql


@pytest.mark.parametrize(
    ("sql", "sqlstate", "words"),
    [("SET ROLE postgres", "42501", "SET ROLE"),
     ("set session authorization postgres", "42501", "SET SESSION AUTHORIZATION"),
     ("RESET ROLE", "42501", "RESET ROLE"), ("reset session authorization", "42501", "RESET"),
     ("ALTER ROLE x SUPERUSER", "42501", "ALTER ROLE"), ("ALTER USER x", "42501", "ALTER USER"),
     ("GRANT ROLE x TO y", "42501", "GRANT ROLE"),
     ("SET statement_timeout = 0", "0A000", "at most 30000 ms"),
     ("SET statement_timeout = '10min'", "0A000", "at most 30000 ms"),
     ("SET search_path TO other", "0A000", "search_path"),
     ("SET work_mem = '1TB'", "0A000", "SET work_mem"),
     ("SHOW data_directory", "0A000", "SHOW data_directory"),
     ("COMMIT PREPARED 'x'", "0A000", "two-phase"), ("PREPARE TRANSACTION 'x'", "0A000", "two"),
     ("INSERT INTO orders VALUES (1)", "42501", "read-only"),
     ("/* c */ delete from orders", "42501", "DELETE"),
     ("CREATE TABLE t (i int)", "0A000", "no writable workspace"),
     ("COPY orders TO '/tmp/x'", "0A000", "COPY"), ("DO $$ BEGIN END $$", "0A000", "DO"),
     ("LISTEN x", "0A000", "LISTEN")],
)  # fmt: skip
def test_refusals_name_the_statement(
    translator: Translator, sql: str, sqlstate: str, words: str
) -> None:
    with pytest.raises(Refused) as refused:
        translator.statement(sql)
    assert refused.value.sqlstate == sqlstate
    assert words in refused.value.message


def test_redshift_settings_are_placeholders(translator: Translator) -> None:
    assert translator.statement("SET query_group TO 'etl'") == (
        "SET dwsim_redshift.query_group TO 'etl'"
    )
    assert "public" in translator.statement("SHOW search_path")


def test_session_functions_answer_as_redshift(translator: Translator) -> None:
    translator.context = cast(Any, type("C", (), {"name": "shop"})())
    tree = sqlglot.parse_one(
        "SELECT version(), pg_catalog.version(), current_database(), current_schema() AS s",
        read="redshift",
    )
    assert translator._answer_session_functions(tree)
    sql = tree.sql(dialect="redshift")
    assert sql.count(REDSHIFT_VERSION) == 2
    assert "'shop' AS current_database" in sql and "'public' AS s" in sql


def test_catalog_reads_take_redshifts_where_and_the_catalogs_functions(
    translator: Translator,
) -> None:
    translator.context = cast(Any, type("C", (), {"name": "shop"})())
    tree = sqlglot.parse_one(
        "SELECT n.nspname AS schema, c.relname, c.relkind AS kind, "
        "pg_catalog.pg_get_viewdef(c.oid, true), col_description(c.oid, 1) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE 1 AND schema = 'public' AND relname = 't' AND (0 OR kind = 'r') "
        "AND c.oid IN (SELECT k.conrelid FROM pg_constraint k WHERE schema = 'x')",
        read="postgres",
    )
    sql = translator._catalog_read(tree)
    assert "WHERE TRUE AND n.nspname = 'public' AND relname = 't'" in sql
    assert "(FALSE OR c.relkind = 'r')" in sql
    assert "dwsim_catalog.pg_get_viewdef(c.oid, TRUE)" in sql
    assert "dwsim_catalog.col_description(c.oid, 1)" in sql
    assert "FROM dwsim_catalog.pg_constraint AS k WHERE schema = 'x'" in sql  # its own scope


def _client_final(server_first: str, password: str, bare: str, header: str = "n,,") -> str:
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    without_proof = f"c={base64.b64encode(header.encode()).decode()},r={attrs['r']}"
    message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    return f"{without_proof},p={base64.b64encode(proof).decode()}"


def test_scram_accepts_the_password_with_libpqs_empty_user_and_refuses_others() -> None:
    bare = "n=,r=clientnonce123"
    server = ScramServer("s3cret")
    first = server.first("n,," + bare)
    assert server.final(_client_final(first, "s3cret", bare)).startswith("v=")
    server = ScramServer("s3cret")
    first = server.first("n,," + bare)
    with pytest.raises(ScramFailed, match="wrong password"):
        server.final(_client_final(first, "guess", bare))
    with pytest.raises(ScramFailed, match="channel binding"):
        ScramServer("s3cret").first("p=tls-server-end-point,," + bare)
