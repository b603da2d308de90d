"""Physical namespaces: where an experiment's data lives in each engine.

Every engine derives its namespace from the experiment name through `live_namespace` (schemas)
or `namespace_identifier` (anything built on top of it, e.g. a per-run staging schema), so two
experiments can never share one. PostgreSQL cuts identifiers at 63 bytes; a name that would be
cut gets a hash of the whole name instead of its tail.
"""

from __future__ import annotations

import hashlib
import re

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import EXPERIMENT_NAME

# PostgreSQL's NAMEDATALEN - 1; Snowflake allows 255, but one rule for all engines keeps
# a namespace recognisable across engines.
IDENTIFIER_LIMIT = 63
HASH_CHARS = 16  # 64 bits: a crafted collision of two long names is out of reach
PREFIX = "dwsim_"


def namespace_identifier(raw: str, limit: int = IDENTIFIER_LIMIT) -> str:
    """`raw` itself when it is shorter than `limit` bytes, else its head, `_` and a hash of all
    of it, exactly `limit` bytes long.

    Identity names are at most `limit - 1` bytes and hashed ones exactly `limit`, so no name
    can be crafted to equal another name's hashed form.

    >>> namespace_identifier("dwsim_shop")
    'dwsim_shop'
    >>> len(namespace_identifier("dwsim_" + "p" * 63))
    63
    """
    encoded = raw.encode()
    if len(encoded) < limit:
        return raw
    digest = hashlib.sha256(encoded).hexdigest()[:HASH_CHARS]
    head = encoded[: limit - HASH_CHARS - 1].decode(errors="ignore")
    return f"{head}_{digest}"


# A run's staging namespace is named `_r<run id>_<experiment>` (cut): it starts with `_`, which
# no experiment name does, so it never meets a live namespace, and run ids are unique.
STAGING_NAME = re.compile(r"_r[0-9]+_[a-z0-9_]*")
STAGING_NAME_LIMIT = 57  # with the engines' `dwsim_` prefix, within a 63-byte identifier


def staging_name(experiment_name: str, run_id: int) -> str:
    """The name a run's staging namespace is built from, in place of the experiment's.

    >>> staging_name("shop", 12)
    '_r12_shop'
    """
    return f"_r{run_id}_{checked_experiment_name(experiment_name)}"[:STAGING_NAME_LIMIT]


def is_staging_name(name: str) -> bool:
    return STAGING_NAME.fullmatch(name) is not None


def checked_experiment_name(experiment_name: str) -> str:
    """The name, if it is one an experiment (or a run's staging copy of one) can have; never
    lets another string reach a schema, a file name or an object key."""
    if not (EXPERIMENT_NAME.fullmatch(experiment_name) or is_staging_name(experiment_name)):
        raise InvalidInput(
            f"experiment name {experiment_name!r} is not valid: lower-case letters, digits and "
            "underscores, starting with a letter, at most 63 characters",
            path="name",
        )
    return experiment_name


def live_namespace(experiment_name: str) -> str:
    """The schema (PostgreSQL, Snowflake) that holds an experiment's loaded tables."""
    return namespace_identifier(PREFIX + checked_experiment_name(experiment_name))


# Where an experiment's workspace lives: `dwsim__ws_<experiment>`. It starts with `dwsim__`,
# which no live namespace does (experiment names start with a letter), and a staging name's
# `_r<digits>` never equals `_ws`.
WORKSPACE_PREFIX = PREFIX + "_ws_"
WORKSPACE_SCHEMA = "workspace"  # the workspace, as the wire endpoints and the query API name it


def workspace_namespace(experiment_name: str) -> str:
    """The schema that holds an experiment's workspace (the user's own tables and views).

    >>> workspace_namespace("shop")
    'dwsim__ws_shop'
    """
    return namespace_identifier(WORKSPACE_PREFIX + checked_experiment_name(experiment_name))
