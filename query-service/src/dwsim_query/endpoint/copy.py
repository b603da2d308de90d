"""Redshift's COPY and UNLOAD through the endpoint, against the project's object store.

`COPY workspace.t FROM 's3://…' FORMAT PARQUET|CSV` loads every object under the prefix into a
workspace table: the endpoint sends PostgreSQL `COPY … FROM STDIN (FORMAT csv)` in the client's
own session (its transaction, its errors) and feeds it the objects' rows as CSV.
`UNLOAD ('select …') TO 's3://…' FORMAT PARQUET|CSV` runs the query through the compatibility
chain as `COPY (…) TO STDOUT (FORMAT csv, HEADER)` in the session and writes what comes back as
one object. Paths are the experiment's own: COPY reads `<store>/workspace/<experiment>/` and the
experiment's generated objects, UNLOAD writes under `<store>/workspace/<experiment>/`. Options
that would change what is read or written and are not implemented are refused by name.
(https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html,
https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html)
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from dwsim_query.results import ResultColumn
from dwsim_shared.errors import DWSimError
from dwsim_shared.objectstore import ObjectStore, experiment_prefix

CHUNK = 1 << 20  # bytes per CopyData message sent upstream
# Options that say who reads (the store's own credentials are used) or where the bucket is.
CREDENTIALS = {"IAM_ROLE", "CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN",
               "REGION"}  # fmt: skip
COPY_TAKES = (
    "FORMAT [AS] PARQUET or CSV, DELIMITER and IGNOREHEADER (CSV), and IAM_ROLE, CREDENTIALS, "
    "ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, REGION (the project's store is used)"
)
UNLOAD_TAKES = (
    "FORMAT [AS] PARQUET or CSV, HEADER and DELIMITER (CSV), PARALLEL, ALLOWOVERWRITE, "
    "CLEANPATH, and IAM_ROLE, CREDENTIALS, ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, "
    "REGION (the project's store is used)"
)


class CopyRefused(DWSimError):
    """A COPY or UNLOAD the endpoint does not run; `sqlstate` is what the client sees."""

    status = 400

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def workspace_prefix(experiment: str) -> str:
    return f"workspace/{experiment}/"


@dataclass
class Options:
    format: str | None = None
    delimiter: str | None = None
    ignoreheader: int = 0
    header: bool = False
    parallel: bool = True
    allowoverwrite: bool = False
    cleanpath: bool = False


class _Tokens:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise CopyRefused("42601", f"syntax error: {what} expected at the end of the statement")
        self.pos += 1
        return token

    def word(self) -> str | None:
        token = self.peek()
        if token is None or token.token_type == TokenType.STRING:
            return None
        return token.text.upper()

    def accept(self, *words: str) -> bool:
        if self.word() in words:
            self.pos += 1
            return True
        return False

    def string(self, what: str) -> str:
        token = self.next(what)
        if token.token_type != TokenType.STRING:
            raise CopyRefused("42601", f"syntax error at {token.text!r}: {what} expected")
        return token.text


def _tokens(sql: str) -> list[Token]:
    try:
        return [
            t
            for t in sqlglot.Dialect.get_or_raise("redshift").tokenize(sql)
            if t.token_type != TokenType.SEMICOLON
        ]
    except SqlglotError as error:
        raise CopyRefused("42601", f"SQL syntax error: {error}") from error


def _options(tokens: _Tokens, statement: str) -> Options:
    options = Options()
    takes = COPY_TAKES if statement == "COPY" else UNLOAD_TAKES
    while tokens.peek() is not None:
        word = tokens.word()
        token = tokens.next("an option")
        if word in CREDENTIALS:
            tokens.accept("AS")
            if word == "IAM_ROLE" and tokens.accept("DEFAULT"):
                continue
            tokens.string(f"the value of {word}")
        elif word == "FORMAT":
            tokens.accept("AS")
            options.format = tokens.word()
            tokens.next("PARQUET or CSV")
            if options.format not in ("PARQUET", "CSV"):
                raise CopyRefused(
                    "0A000",
                    f"{statement} FORMAT {options.format} is not supported by the endpoint "
                    "(PARQUET and CSV are)",
                )
        elif word in ("CSV", "PARQUET"):
            options.format = word
        elif word == "DELIMITER":
            tokens.accept("AS")
            options.delimiter = tokens.string("the delimiter")
            if len(options.delimiter) != 1:
                raise CopyRefused("22023", "DELIMITER must be a single character")
        elif word == "IGNOREHEADER" and statement == "COPY":
            tokens.accept("AS")
            count = tokens.next("a number of lines")
            if not count.text.isdigit():
                raise CopyRefused("22023", "IGNOREHEADER takes a number of lines")
            options.ignoreheader = int(count.text)
        elif word == "HEADER" and statement == "UNLOAD":
            options.header = True
        elif word == "PARALLEL" and statement == "UNLOAD":
            value = tokens.word()
            if value in ("ON", "TRUE", "OFF", "FALSE"):
                tokens.next("ON or OFF")
                options.parallel = value in ("ON", "TRUE")
        elif word == "ALLOWOVERWRITE" and statement == "UNLOAD":
            options.allowoverwrite = True
        elif word == "CLEANPATH" and statement == "UNLOAD":
            options.cleanpath = True
        else:
            raise CopyRefused(
                "0A000",
                f"{statement} option {token.text.upper()} is not supported by the endpoint; it "
                f"takes {takes}",
            )
    if options.format is None:
        raise CopyRefused(
            "0A000",
            f"{statement} without FORMAT (Redshift's pipe-delimited text) is not supported by "
            "the endpoint: "
            "add FORMAT CSV or FORMAT PARQUET",
        )
    if options.format == "PARQUET" and (
        options.delimiter or options.ignoreheader or options.header
    ):
        raise CopyRefused(
            "0A000", f"{statement} FORMAT PARQUET takes no DELIMITER, IGNOREHEADER or HEADER"
        )
    return options


@dataclass
class Location:
    """An s3:// path as the client wrote it, and the store key it names."""

    text: str
    key: str


def locate(store: ObjectStore, text: str, experiment: str, *, writing: bool) -> Location:
    """The store key of `text`, when the experiment may read (or write) there."""
    root = store.url("")
    allowed = [workspace_prefix(experiment)]
    if not writing:
        allowed.append(experiment_prefix(experiment))
    if text.startswith(root):
        key = text[len(root) :]
        if any(key.startswith(prefix) for prefix in allowed) and ".." not in key.split("/"):
            return Location(text, key)
    shown = " or ".join(f"{root}{prefix}" for prefix in allowed)
    verb = "write to" if writing else "read from"
    raise CopyRefused(
        "42501",
        f"{'UNLOAD' if writing else 'COPY'} may not {verb} {text!r}: this experiment's paths "
        f"are under {shown}",
    )


@dataclass
class CopyIn:
    """What a COPY FROM sends upstream: CSV files prepared from the objects."""

    table: str  # the client's name of the table
    columns: list[str]
    folder: Path
    files: list[Path] = field(default_factory=list)

    def chunks(self) -> Iterator[bytes]:
        for path in self.files:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def parse_copy(sql: str) -> tuple[exp.Table, list[str], str, Options]:
    """The target table, its column list (may be empty), the path and the options."""
    tokens = _Tokens(_tokens(sql))
    tokens.next("COPY")
    parts = [tokens.next("a table name").text]
    while tokens.accept("."):
        parts.append(tokens.next("a table name").text)
    if len(parts) > 3:
        raise CopyRefused("42601", f"syntax error: {'.'.join(parts)} is not a table name")
    table = exp.Table(
        this=exp.to_identifier(parts[-1]),
        db=exp.to_identifier(parts[-2]) if len(parts) > 1 else None,
        catalog=exp.to_identifier(parts[-3]) if len(parts) > 2 else None,
    )
    columns: list[str] = []
    if tokens.accept("("):
        while True:
            columns.append(tokens.next("a column name").text.lower())
            if tokens.accept(")"):
                break
            if not tokens.accept(","):
                raise CopyRefused("42601", "syntax error in COPY's column list")
    if tokens.word() == "TO":
        raise CopyRefused(
            "0A000",
            "COPY ... TO is not Redshift SQL: UNLOAD ('select ...') TO 's3://...' writes a "
            "query's rows to the object store",
        )
    if not tokens.accept("FROM"):
        raise CopyRefused("42601", "syntax error: COPY table FROM 's3://...' expected")
    if tokens.word() == "STDIN" or (tokens.peek() and tokens.word() is not None):
        raise CopyRefused(
            "0A000", "COPY loads from the object store only: COPY table FROM 's3://bucket/prefix'"
        )
    path = tokens.string("the s3:// path")
    return table, columns, path, _options(tokens, "COPY")


def prepare_copy_in(
    store: ObjectStore,
    location: Location,
    options: Options,
    table: str,
    columns: list[str],
    max_bytes: int,
) -> CopyIn:
    """Every object under the location, as CSV files of `columns` (in their order)."""
    keys = [k for k in store.list_keys(location.key) if not k.endswith("/")]
    if not keys:
        raise CopyRefused(
            "58030", f"the specified S3 prefix {location.text!r} does not exist (no object there)"
        )
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan = CopyIn(table, columns, Path(tempfile.mkdtemp(prefix="dwsim-copy-")))
    total = 0
    try:
        for index, key in enumerate(keys):
            target = plan.folder / f"{index:05d}.csv"
            with store.local_copy(key) as local:
                total += local.stat().st_size
                if total > max_bytes:
                    raise CopyRefused(
                        "53400",
                        f"COPY would read more than the {max_bytes:,} bytes left in the "
                        "workspace's quota (DWSIM_WORKSPACE_MAX_BYTES)",
                    )
                if options.format == "PARQUET":
                    try:
                        data = pq.read_table(local)
                    except Exception as error:  # pyarrow's errors name the file's problem
                        raise CopyRefused(
                            "22P04", f"{store.url(key)} is not a Parquet file: {error}"
                        ) from error
                    if data.num_columns != len(columns):
                        raise CopyRefused(
                            "22P04",
                            f"{store.url(key)} has {data.num_columns} columns, {table} takes "
                            f"{len(columns)} ({', '.join(columns)}): Parquet columns load by "
                            "position",
                        )
                    pacsv.write_csv(data, target, pacsv.WriteOptions(include_header=False))
                else:
                    _csv_copy(local, target, options.ignoreheader)
            plan.files.append(target)
    except BaseException:
        plan.close()
        raise
    return plan


def _csv_copy(source: Path, target: Path, skip: int) -> None:
    """`source` without its first `skip` lines, ending with a newline."""
    with source.open("rb") as src, target.open("wb") as out:
        for _ in range(skip):
            if not src.readline():
                break
        last = b"\n"
        while chunk := src.read(CHUNK):
            out.write(chunk)
            last = chunk[-1:]
        if last not in (b"\n", b""):
            out.write(b"\n")


def copy_in_sql(physical_schema: str, table: str, columns: list[str], options: Options) -> str:
    names = ", ".join(exp.to_identifier(c, quoted=True).sql("postgres") for c in columns)
    target = f'"{physical_schema}".{exp.to_identifier(table, quoted=True).sql("postgres")}'
    delimiter = ""
    if options.format == "CSV" and options.delimiter:
        delimiter = f", DELIMITER {exp.Literal.string(options.delimiter).sql('postgres')}"
    return f"COPY {target} ({names}) FROM STDIN WITH (FORMAT csv{delimiter})"


# --- UNLOAD -----------------------------------------------------------------------------


def parse_unload(sql: str) -> tuple[str, str, Options]:
    """The query (unquoted), the path and the options."""
    body = sql.lstrip()
    if body[:6].upper() != "UNLOAD":
        raise CopyRefused("42601", "syntax error: UNLOAD expected")
    tokens = _Tokens(_tokens(body[6:]))  # the tokenizer takes UNLOAD for a whole command
    if not tokens.accept("("):
        raise CopyRefused("42601", "syntax error: UNLOAD ('select ...') TO 's3://...' expected")
    query = tokens.string("the query, quoted")
    if not tokens.accept(")") or not tokens.accept("TO"):
        raise CopyRefused("42601", "syntax error: UNLOAD ('select ...') TO 's3://...' expected")
    path = tokens.string("the s3:// path")
    return query, path, _options(tokens, "UNLOAD")


def unload_sql(engine_sql: str, options: Options) -> str:
    """PostgreSQL's COPY TO STDOUT of the query: CSV as the UNLOAD asked for it, or CSV without
    a header that becomes Parquet."""
    extra = ""
    if options.format == "CSV":
        extra = ", HEADER" if options.header else ""
        if options.delimiter:
            extra += f", DELIMITER {exp.Literal.string(options.delimiter).sql('postgres')}"
    return f"COPY ({engine_sql}) TO STDOUT WITH (FORMAT csv{extra})"


def _arrow_type(column: ResultColumn) -> object:
    import pyarrow as pa

    try:
        kind = exp.DataType.build(column.type, dialect="redshift")
    except (SqlglotError, ValueError):
        kind = None
    types = exp.DataType.Type
    if kind is None or kind.this == types.UNKNOWN:
        raise CopyRefused(
            "0A000",
            f"UNLOAD ... FORMAT PARQUET cannot tell the type of column {column.name!r}: CAST it, "
            "or use FORMAT CSV",
        )
    simple = {
        types.SMALLINT: pa.int16(), types.INT: pa.int32(), types.BIGINT: pa.int64(),
        types.FLOAT: pa.float64(), types.DOUBLE: pa.float64(), types.BOOLEAN: pa.bool_(),
        types.DATE: pa.date32(), types.TIMESTAMP: pa.timestamp("us"),
        types.VARCHAR: pa.string(), types.CHAR: pa.string(), types.TEXT: pa.string(),
        types.NVARCHAR: pa.string(), types.NCHAR: pa.string(),
    }  # fmt: skip
    if kind.this in simple:
        return simple[kind.this]
    if kind.this == types.DECIMAL:
        params = [int(p.name) for p in kind.expressions] or [18, 0]
        return pa.decimal128(params[0], params[1] if len(params) > 1 else 0)
    raise CopyRefused(
        "0A000",
        f"UNLOAD ... FORMAT PARQUET of a {column.type} column ({column.name!r}) is not supported "
        "by the endpoint: CAST it, or use FORMAT CSV",
    )


@dataclass
class Unload:
    """Where an UNLOAD's rows go: the CSV PostgreSQL sends, then one object in the store."""

    store: ObjectStore
    location: Location
    options: Options
    columns: list[ResultColumn]
    max_bytes: int
    # The rows as they come: in memory up to 8 MiB, then on disk (an UNLOAD may be large);
    # closed by `finish` or `close`.
    buffer: Any = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
    )
    size: int = 0
    result: str | None = None  # None: not finished; "" ok; otherwise the error
    sqlstate: str = "58030"  # the error's: io_error, or 53400 past the quota

    def arrow_types(self) -> dict[int, object]:
        return {i: _arrow_type(c) for i, c in enumerate(self.columns)}

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size <= self.max_bytes:
            self.buffer.write(data)

    def key(self) -> str:
        base = self.location.key
        name = f"{base}0000_part_00" if self.options.parallel else f"{base}000"
        return name + (".parquet" if self.options.format == "PARQUET" else "")

    def close(self) -> None:
        self.buffer.close()

    def existing(self) -> list[str]:
        return self.store.list_keys(self.location.key)

    def finish(self) -> str:
        """Write the object; "" when done, else why not."""
        try:
            if self.size > self.max_bytes:
                self.sqlstate = "53400"
                return (
                    f"UNLOAD would write more than {self.max_bytes:,} bytes "
                    "(DWSIM_WORKSPACE_MAX_BYTES): nothing was written"
                )
            if self.options.cleanpath:
                self.store.delete_prefix(self.location.key)
            with tempfile.TemporaryDirectory(prefix="dwsim-unload-") as tmp:
                path = Path(tmp) / "part"
                self._write_file(path)
                self.store.put_file(path, self.key())
        except DWSimError as error:
            return f"UNLOAD to {self.location.text!r} failed: {error.message}"
        finally:
            self.buffer.close()
        return ""

    def _write_file(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        self.buffer.seek(0)
        if self.options.format != "PARQUET":
            with path.open("wb") as out:  # PostgreSQL's CSV, with the header and delimiter
                shutil.copyfileobj(self.buffer, out, CHUNK)
            return
        types = self.arrow_types()
        slots = [f"c{i}" for i in range(len(types))]  # result names may repeat
        if self.size:
            table = pacsv.read_csv(
                self.buffer,
                read_options=pacsv.ReadOptions(column_names=slots),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict(zip(slots, types.values(), strict=True)),
                    true_values=["t"],
                    false_values=["f"],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
        else:
            table = pa.table(
                {s: pa.array([], type=t) for s, t in zip(slots, types.values(), strict=True)}
            )
        pq.write_table(
            table.rename_columns([c.name for c in self.columns]), path, compression="zstd"
        )


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Errors of the object store while a COPY or UNLOAD is prepared, as refusals."""
    try:
        yield
    except CopyRefused:
        raise
    except DWSimError as error:
        raise CopyRefused("58030", f"object store: {error.message}") from error
