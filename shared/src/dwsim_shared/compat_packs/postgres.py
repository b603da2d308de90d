"""The Redshift mock's function pack: a `dwsim_compat` schema of SQL and PL/pgSQL functions.

Versioned: `dwsim_compat.pack_version()` answers the installed version, and an older (or
missing) pack is replaced in one transaction, under an advisory lock so that two runs
preparing at once install it once.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

SCHEMA = "dwsim_compat"
PACK_VERSION = 13
PACK_FUNCTIONS = frozenset(
    {"dwsim_datediff", "dwsim_try_number", "strtok", "editdistance", "dwsim_round_half_even",
     "dwsim_initcap", "dwsim_try_date", "dwsim_try_timestamp", "dwsim_sf_number",
     "dwsim_sf_parse", "dwsim_time_slice", "dwsim_hex_encode",
     "dwsim_hex_decode_string", "dwsim_try_hex_decode_string", "dwsim_base64_encode",
     "dwsim_base64_decode_string", "dwsim_try_base64_decode_string", "dwsim_soundex",
     "dwsim_insert", "dwsim_space", "dwsim_factorial", "dwsim_try_time", "dwsim_fail",
     "dwsim_json_kind", "dwsim_json_array_element", "dwsim_sf_array", "dwsim_sf_object",
     "dwsim_array_insert", "dwsim_array_multiset", "dwsim_array_flatten", "dwsim_array_sort",
     "dwsim_array_generate_range", "dwsim_array_remove", "dwsim_array_remove_at",
     "dwsim_object_insert", "dwsim_object_delete", "dwsim_object_pick",
     "dwsim_object_pick_array", "dwsim_json_duplicates", "dwsim_try_parse_json", "dwsim_to_json",
     "dwsim_rs_json_serialize", "dwsim_rs_json_size", "dwsim_rs_get_array_length",
     "dwsim_rs_subarray", "dwsim_rs_split_to_array", "dwsim_rs_array_concat",
     "dwsim_rs_array_flatten", "dwsim_rs_strtol", "dwsim_rs_text_to_int_alt",
     "dwsim_rs_array_contains", "dwsim_rs_array_position", "dwsim_rs_array_positions",
     "dwsim_rs_arrays_overlap", "dwsim_rs_array_distinct", "dwsim_rs_array_union",
     "dwsim_rs_array_multiset", "dwsim_rs_array_sort", "dwsim_rs_super_test",
     "dwsim_rs_attribute_names", "dwsim_json_literals"}
)  # fmt: skip
_LOCK_KEY = 0x64777369  # "dwsi": one advisory lock for every installer


def pack_sql() -> str:
    return resources.files(__package__).joinpath("postgres.sql").read_text(encoding="utf-8")


def installed_version(cursor: Any) -> int | None:
    cursor.execute(
        "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = %s AND p.proname = 'pack_version'",
        (SCHEMA,),
    )
    if cursor.fetchone() is None:
        return None
    cursor.execute(f"SELECT {SCHEMA}.pack_version()")
    row = cursor.fetchone()
    return int(row[0]) if row else None


def install_compat(cursor: Any) -> bool:
    """Install or upgrade the pack inside the caller's transaction; True when it (re)installed."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    if installed_version(cursor) == PACK_VERSION:
        return False
    cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cursor.execute(f"CREATE SCHEMA {SCHEMA}")
    cursor.execute(pack_sql())
    cursor.execute(
        f"CREATE FUNCTION {SCHEMA}.pack_version() RETURNS integer LANGUAGE sql IMMUTABLE "
        f"AS 'SELECT {PACK_VERSION}'"
    )
    cursor.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO PUBLIC")
    return True


SEARCH_PATH = f"SET search_path TO {SCHEMA}"
