"""Identifiers: case folding, names the model accepts, and qualified table references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from dwsim_shared.experiment import IDENTIFIER

_INVALID = re.compile(r"[^A-Za-z0-9_$]+")
MAX_NAME = 127


def fold(identifier: exp.Expr | str | None) -> str:
    """Unquoted names are lower-cased (in every dialect, as the model is case-insensitive);
    quoted names keep their case."""
    if identifier is None:
        return ""
    if isinstance(identifier, str):
        return identifier.lower()
    if isinstance(identifier, exp.Identifier):
        return identifier.name if identifier.quoted else identifier.name.lower()
    if isinstance(identifier, exp.Column | exp.Ordered) and identifier.this is not None:
        return fold(identifier.this)
    return identifier.name.lower()


def fold_token(token: Token) -> str:
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower()


def model_name(name: str) -> str:
    """`name` as the model accepts it: letters, digits, `_` and `$`, not starting with a digit.

    >>> model_name("Order Date")
    'Order_Date'
    """
    if IDENTIFIER.match(name):
        return name
    cleaned = _INVALID.sub("_", name).strip("_") or "column"
    if not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    return cleaned[:MAX_NAME]


def unique_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted_2`, `wanted_3`, ... whichever is free (case-insensitively)."""
    name, n = wanted, 2
    while name.lower() in taken:
        name, n = f"{wanted}_{n}", n + 1
    return name


@dataclass(frozen=True)
class TableRef:
    """A table name as written: catalog (database), db (schema) and name, folded."""

    name: str
    db: str = ""
    catalog: str = ""

    @classmethod
    def of(cls, table: exp.Expr) -> TableRef:
        if isinstance(table, exp.Schema):
            table = table.this
        return cls(fold(table.this), fold(table.args.get("db")), fold(table.args.get("catalog")))

    def __str__(self) -> str:
        return ".".join(p for p in (self.catalog, self.db, self.name) if p)

    def matches(self, other: TableRef) -> bool:
        """Whether `other` (a reference, maybe less qualified) can mean this table."""
        if self.name.lower() != other.name.lower():
            return False
        if other.db and self.db and other.db.lower() != self.db.lower():
            return False
        return not (
            other.catalog and self.catalog and other.catalog.lower() != self.catalog.lower()
        )
