"""Configuration: every `DWSIM_*` variable, read once into one object.

No variable set means the embedded default: everything lives under
`DWSIM_HOME` (SQLite state, a file-system Celery broker, a local object store
folder and SQLite warehouses), so a fresh clone runs with only Python.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dwsim_shared.engines import DEFAULT_WAREHOUSE, check_warehouse_name


class Settings(BaseSettings):
    """All configuration of every service. Build it once at start-up and pass it on."""

    model_config = SettingsConfigDict(env_prefix="DWSIM_", extra="ignore")

    home: Path = Field(default=Path(".dwsim"), description="Where embedded state lives.")
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    query_service_port: int = 8001
    state_url: str | None = None
    broker_url: str | None = None
    object_store: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    redshift_url: str | None = None
    # The Redshift endpoint (PostgreSQL wire protocol) the query service opens when
    # redshift_url is set: where it listens, and the host clients are told to use.
    redshift_endpoint_port: int = Field(default=5439, ge=0, le=65535)
    redshift_endpoint_host: str = "127.0.0.1"
    redshift_endpoint_public_host: str | None = None
    # Client sessions the endpoint serves at once, per experiment and in all (each holds one
    # connection of the mock's server); in all, at most the server's max_connections less the
    # reserve the other services keep (state, loaders, REST queries).
    redshift_endpoint_max_sessions: int = Field(default=100, ge=1)
    redshift_endpoint_reserved_connections: int = Field(default=30, ge=0)
    # The writable workspace of each experiment on the Redshift mock (issue 17): the bytes its
    # tables may hold before further writes are refused.
    workspace_max_bytes: int = Field(default=1024 * 1024 * 1024, ge=0)
    snowflake_account: str | None = None
    snowflake_host: str | None = None
    snowflake_port: int | None = None
    snowflake_protocol: str = "https"
    snowflake_user: str | None = None
    snowflake_password: str | None = None
    snowflake_database: str = "DWSIM"
    # The role queries run under on a real account (USAGE/SELECT on the experiments' schemas).
    snowflake_query_role: str | None = None
    # The connector's network_timeout: how long it retries one request the server answers with
    # HTTP 5xx or not at all (its default retries forever, which stalled a worker on the
    # emulator), and the cancel of a statement that has no timeout of its own (loads, DDL,
    # publish; queries have query_timeout_s).
    snowflake_network_timeout_s: float = Field(default=600.0, gt=0)
    # The Snowflake endpoint (Snowflake's REST protocol) the query service opens in front of
    # the emulator: where it listens, the host clients are told to use, and the rows each
    # experiment's workspace may hold there before further writes are refused (0: no limit).
    snowflake_endpoint_port: int = Field(default=64617, ge=0, le=65535)
    snowflake_endpoint_host: str = "127.0.0.1"
    snowflake_endpoint_public_host: str | None = None
    snowflake_workspace_max_rows: int = Field(default=10_000_000, ge=0)
    default_warehouse: str = DEFAULT_WAREHOUSE
    query_service_url: str | None = None
    api_token: str | None = None
    # The token the gateway sends to the query service; DWSIM_API_TOKEN when unset.
    internal_token: str | None = None
    shard_size: int = Field(default=1_000_000, ge=1)
    # The validation report checks tables up to this many rows with its exact scan alone; larger
    # ones prove keys and foreign keys by digests against the generation contract and read the
    # per-value checks from a sample (reports/contract.py). Set it high for a fully exact report.
    report_exact_rows: int = Field(default=20_000, ge=0)
    query_row_cap: int = Field(default=10_000, ge=1)
    query_timeout_s: float = Field(default=30.0, gt=0)
    export_timeout_s: float = Field(default=600.0, gt=0)
    dependency_timeout_s: float = Field(default=3.0, gt=0)
    query_byte_cap: int = Field(default=32 * 1024 * 1024, ge=1024)
    # Memory bounds of one query (issue 14): the largest value (SQLite) or row (Redshift mock)
    # an engine may build or return (Snowflake's own VARCHAR maximum is 16 MiB), SQLite's heap
    # in the process, and the query service's resident memory past which a query is stopped.
    query_value_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    sqlite_heap_limit_bytes: int = Field(default=512 * 1024 * 1024, ge=16 * 1024 * 1024)
    query_memory_ceiling_mb: int = Field(default=1024, ge=64)
    # DuckDB's memory_limit in the Snowflake emulator (dwsim_shared.emulator_server), and the
    # largest answer it encodes (a query asks for less: a few times its byte cap).
    emulator_memory_limit: str = "1GB"
    emulator_result_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    # The emulator's budget for the values a statement's value-growing calls build per row
    # (DuckDB builds 2,048 rows before it can be interrupted: 2,048 x this per vector).
    emulator_value_max_bytes: int = Field(default=256 * 1024, ge=1024)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_rows_per_run: int = Field(default=10**10, ge=1)
    max_shards_per_run: int = Field(default=10**5, ge=1)
    ddl_max_chars: int = Field(default=1_000_000, ge=1)
    ddl_max_statements: int = Field(default=2_000, ge=1)
    ddl_max_depth: int = Field(default=64, ge=1)
    # Run life cycle: a worker's hold on a shard, how often stalls are looked for, how many
    # times a shard may be taken before its run fails, and the bounded retries of an outage.
    lease_s: float = Field(default=30.0, gt=0)
    sweep_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    # Test-only switch (fault and life-cycle tests): a worker holds the second shard of a table
    # (index 1), on its first attempt, this long before working on it, when the experiment's
    # name starts with `test_hold_prefix`; so a test finds that shard in flight with a few
    # thousand rows instead of a million. 0 (the default) never holds. A name that goes on
    # with `generate_` or `load_` (`held_load_x`) holds that step only.
    test_hold_s: float = Field(default=0.0, ge=0)
    test_hold_prefix: str = "held_"
    dependency_retries: int = Field(default=5, ge=0)
    dependency_backoff_s: float = Field(default=1.0, ge=0)
    keep_runs: int = Field(default=5, ge=1)
    web_ui_dir: Path | None = None
    # OpenLineage (lineage/openlineage.py): HTTP endpoint (e.g. Marquez) or a file under home.
    openlineage: bool = True
    openlineage_url: str | None = None
    openlineage_namespace: str = "dwsim"
    openlineage_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Where bundles' library wheels (re-packed from the installed libraries, see
    # lineage/wheels.py) are kept between exports: a user cache, not one stack's data.
    wheel_cache: Path = Path("~/.cache/dwsim/wheels")

    @field_validator("home", "wheel_cache", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("default_warehouse", mode="after")
    @classmethod
    def _known_warehouse(cls, value: str) -> str:
        return check_warehouse_name(value, "DWSIM_DEFAULT_WAREHOUSE")

    @field_validator("object_store", mode="after")
    @classmethod
    def _check_object_store(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("s3://", "file://")):
            raise ValueError("DWSIM_OBJECT_STORE must start with s3:// or file://")
        return value

    @field_validator("state_url", "redshift_url", mode="after")
    @classmethod
    def _normalise_postgres_url(cls, value: str | None) -> str | None:
        # Users paste libpq-style URLs; SQLAlchemy wants a driver name.
        if value and value.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg2://" + value.split("://", 1)[1]
        return value

    @cached_property
    def resolved_state_url(self) -> str:
        return self.state_url or f"sqlite:///{self.home / 'state.db'}"

    @cached_property
    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def uses_filesystem_broker(self) -> bool:
        return self.resolved_broker_url.startswith("filesystem://")

    @cached_property
    def broker_folder(self) -> Path:
        return self.home / "broker"

    @cached_property
    def resolved_object_store(self) -> str:
        return self.object_store or f"file://{self.home / 'objects'}"

    @cached_property
    def sqlite_warehouse_dir(self) -> Path:
        return self.home / "warehouses"

    @property
    def resolved_internal_token(self) -> str | None:
        return self.internal_token or self.api_token

    @cached_property
    def resolved_query_service_url(self) -> str:
        return self.query_service_url or f"http://127.0.0.1:{self.query_service_port}"


def get_settings() -> Settings:
    """Read the environment now (tests and start-up hooks call this, never import-time globals)."""
    return Settings()
