"""Static checks of the distributed stack: compose.yaml, deploy/*.Dockerfile, .dockerignore.

No Docker engine needed: the files are parsed and checked against each other and
against the workspace (its members, their package names, the paths images copy).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
PORTS_OVERRIDE = ROOT / "deploy" / "compose.ports.yaml"

DESIGN_SERVICES = [
    "redis",
    "postgres",
    "redshift-mock",
    "minio",
    "snowflake-emulator",
    "api-gateway",
    "query-service",
    "generator-worker",
    "loader-worker",
]
ONE_SHOTS = {"migrate", "minio-init"}
WORKERS = ["generator-worker", "loader-worker"]
SCALABLE = {*WORKERS, "query-service"}
# Services built from a workspace member: service -> member folder.
MEMBER_SERVICES = {s: s for s in ["api-gateway", "query-service", *WORKERS]}
APP_SERVICES = [*MEMBER_SERVICES, "migrate"]
HTTP_SERVICES = ["api-gateway", "query-service", "snowflake-emulator"]


# ---------------------------------------------------------------- helpers


_VAR = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?-)(?P<default>[^}]*))?\}")


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$`, against `env`."""
    env = env or {}

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        current = env.get(m["name"])
        if m["op"] == ":-" and not current:
            return m["default"]
        if m["op"] == "-" and current is None:
            return m["default"]
        return current or ""

    result = _VAR.sub(sub, value)
    assert "${" not in result, f"unsupported interpolation in {value!r}"
    return result


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, Any]:
    return compose()["services"]


def env_of(service: str, env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    raw = services()[service].get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {k: None if v is None else interpolate(str(v), env) for k, v in raw.items()}


def depends_on(service: str) -> dict[str, str]:
    raw = services()[service].get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in raw.items()}


def healthcheck_text(service: str) -> str:
    test = services()[service]["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


@cache
def workspace_members() -> list[str]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return root["tool"]["uv"]["workspace"]["members"]


@cache
def member_project(member: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / member / "pyproject.toml").read_text())


def member_module(member: str) -> str:
    packages = member_project(member)["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return Path(packages[0]).name


def dockerfile_of(service: str) -> Path:
    build = services()[service]["build"]
    return ROOT / build.get("context", ".") / build["dockerfile"]


@cache
def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuations joined, comments dropped."""
    lines = [ln for ln in dockerfile.read_text().splitlines() if not ln.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in text.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def copy_sources(dockerfile: Path) -> list[str]:
    """Sources of every COPY/ADD from the build context (not `--from` another stage)."""
    sources = []
    for word, args in instructions(dockerfile):
        if word in {"COPY", "ADD"}:
            parts = shlex.split(args)
            if any(p.startswith("--from") for p in parts):
                continue
            sources += [p for p in parts if not p.startswith("--")][:-1]
    return sources


def cmd_of(dockerfile: Path) -> list[str]:
    cmds = [args for word, args in final_stage(dockerfile) if word == "CMD"]
    assert cmds, f"{dockerfile.name} has no CMD"
    return yaml.safe_load(cmds[-1])  # exec form is a JSON list


def listen_port(service: str) -> int:
    cmd = cmd_of(dockerfile_of(service))
    flag = "--port" if "--port" in cmd else "-p"
    return int(cmd[cmd.index(flag) + 1])


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a match on a parent folder excludes."""
    patterns = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, c) for c in candidates):
            excluded = not negate
    return excluded


# ---------------------------------------------------------------- compose.yaml


def test_compose_parses_and_has_the_shared_env_anchor() -> None:
    data = compose()
    assert isinstance(data["services"], dict)
    assert "DWSIM_STATE_URL" in data["x-dwsim-env"]
    assert "&dwsim-env" in COMPOSE.read_text(), "shared env must stay a YAML anchor"


@pytest.mark.parametrize("service", [*DESIGN_SERVICES, *sorted(ONE_SHOTS)])
def test_service_is_defined(service: str) -> None:
    assert service in services()


def test_no_service_pins_a_container_name() -> None:
    named = [name for name, spec in services().items() if "container_name" in spec]
    assert named == [], "container_name prevents --scale"


def test_only_the_gateway_and_the_endpoints_publish_ports() -> None:
    published = {name for name, spec in services().items() if spec.get("ports")}
    assert published == {"api-gateway", "redshift-endpoint", "snowflake-endpoint"}
    (mapping,) = services()["redshift-endpoint"]["ports"]
    assert interpolate(mapping).split(":")[-2:] == ["5439", "5439"]
    (mapping,) = services()["snowflake-endpoint"]["ports"]
    assert interpolate(mapping).split(":")[-2:] == ["64617", "64617"]
    # The scalable REST query service opens no endpoint of its own.
    assert env_of("query-service")["DWSIM_REDSHIFT_ENDPOINT_PORT"] == "0"
    assert env_of("query-service")["DWSIM_SNOWFLAKE_ENDPOINT_PORT"] == "0"


def test_gateway_host_port_comes_from_the_variable() -> None:
    (mapping,) = services()["api-gateway"]["ports"]
    assert interpolate(mapping).split(":")[-2:] == ["8000", str(listen_port("api-gateway"))]
    assert interpolate(mapping, {"DWSIM_GATEWAY_PORT": "9100"}).split(":")[-2] == "9100"


@pytest.mark.parametrize("service", sorted(set(services()) - ONE_SHOTS))
def test_long_running_service_has_a_healthcheck(service: str) -> None:
    check = services()[service].get("healthcheck") or {}
    assert not check.get("disable")
    assert check.get("test") and check["test"] != ["NONE"]
    assert services()[service].get("restart") in {"always", "unless-stopped", "on-failure"}


@pytest.mark.parametrize("service", sorted(ONE_SHOTS))
def test_one_shot_does_not_restart(service: str) -> None:
    assert services()[service].get("restart", "no") == "no"
    assert "healthcheck" not in services()[service]


@pytest.mark.parametrize("service", sorted(services()))
def test_depends_on_names_services_with_a_fitting_condition(service: str) -> None:
    for target, condition in depends_on(service).items():
        assert target in services(), f"{service} depends on unknown {target}"
        if condition == "service_healthy":
            assert "healthcheck" in services()[target], f"{target} has no healthcheck"
        elif condition == "service_completed_successfully":
            assert target in ONE_SHOTS, f"{target} never completes"
        else:
            pytest.fail(f"{service} -> {target}: use a health or completion condition")


def test_start_order_has_no_cycle() -> None:
    remaining = {name: set(depends_on(name)) for name in services()}
    while remaining:
        ready = [name for name, deps in remaining.items() if not deps & remaining.keys()]
        assert ready, f"dependency cycle among {sorted(remaining)}"
        for name in ready:
            del remaining[name]


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_migrations(service: str) -> None:
    if service != "migrate":
        assert depends_on(service).get("migrate") == "service_completed_successfully"
    assert set(compose()["x-dwsim-env"]) <= set(env_of(service))


@pytest.mark.parametrize("service", APP_SERVICES)
@pytest.mark.parametrize(
    ("variable", "target", "port"),
    [
        ("DWSIM_BROKER_URL", "redis", 6379),
        ("DWSIM_STATE_URL", "postgres", 5432),
        ("DWSIM_S3_ENDPOINT_URL", "minio", 9000),
        ("DWSIM_REDSHIFT_URL", "redshift-mock", 5432),
        ("DWSIM_QUERY_SERVICE_URL", "query-service", None),
    ],
)
def test_urls_point_at_compose_services(
    service: str, variable: str, target: str, port: int | None
) -> None:
    url = urlsplit(env_of(service)[variable] or "")
    assert url.hostname == target
    assert target in services()
    assert url.port == (port or listen_port(target))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_snowflake_settings_point_at_the_emulator(service: str) -> None:
    env = env_of(service)
    assert env["DWSIM_SNOWFLAKE_HOST"] == "snowflake-emulator"
    assert int(env["DWSIM_SNOWFLAKE_PORT"] or 0) == listen_port("snowflake-emulator")
    assert env["DWSIM_SNOWFLAKE_PROTOCOL"] == "http"


@pytest.mark.parametrize(
    "user_env", [{}, {"DWSIM_POSTGRES_PASSWORD": "s3cret", "DWSIM_REDSHIFT_USER": "rs"}]
)
@pytest.mark.parametrize(
    ("variable", "db_service"),
    [("DWSIM_STATE_URL", "postgres"), ("DWSIM_REDSHIFT_URL", "redshift-mock")],
)
def test_database_urls_match_the_database_credentials(
    user_env: dict[str, str], variable: str, db_service: str
) -> None:
    url = urlsplit(env_of("api-gateway", user_env)[variable] or "")
    db = env_of(db_service, user_env)
    assert (url.username, url.password, url.path.lstrip("/")) == (
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
        db["POSTGRES_DB"],
    )


@pytest.mark.parametrize(
    "user_env", [{}, {"DWSIM_S3_ACCESS_KEY": "ak", "DWSIM_S3_SECRET_KEY": "sk-12345678"}]
)
def test_object_store_credentials_match_minio(user_env: dict[str, str]) -> None:
    app, minio = env_of("loader-worker", user_env), env_of("minio", user_env)
    assert (app["AWS_ACCESS_KEY_ID"], app["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )
    assert len(minio["MINIO_ROOT_PASSWORD"] or "") >= 8, "MinIO refuses shorter root passwords"


def test_minio_init_creates_the_object_store_bucket() -> None:
    bucket = urlsplit(compose()["x-dwsim-env"]["DWSIM_OBJECT_STORE"]).netloc
    spec = services()["minio-init"]
    script = interpolate(" ".join([*spec.get("entrypoint", []), *spec.get("command", [])]))
    alias = re.search(r"mc alias set (\w+) (\S+)", script)
    assert alias and urlsplit(alias[2]).hostname == "minio"
    assert re.search(rf"mc mb (--ignore-existing |-p )*{alias[1]}/{bucket}\b", script)
    assert depends_on("minio-init") == {"minio": "service_healthy"}


@pytest.mark.parametrize("service", HTTP_SERVICES)
def test_http_healthcheck_probes_the_service_port(service: str) -> None:
    text = healthcheck_text(service)
    assert "urllib" in text, "slim images have no curl"
    url = re.search(r"http://[^'\"\s]+", text)
    assert url and urlsplit(url[0]).port == listen_port(service)


@pytest.mark.parametrize("service", WORKERS)
def test_worker_healthcheck_pings_its_own_celery_app(service: str) -> None:
    cmd = cmd_of(dockerfile_of(service))
    app = cmd[cmd.index("-A") + 1]
    assert f"celery -A {app} inspect ping" in healthcheck_text(service)


def test_minio_healthcheck_reads_the_liveness_endpoint() -> None:
    text = interpolate(healthcheck_text("minio"))
    assert "/minio/health/live" in text and "9000" in text


def test_ports_override_only_publishes_backends() -> None:
    override = yaml.safe_load(PORTS_OVERRIDE.read_text())["services"]
    assert set(override) <= set(services())
    assert not set(override) & SCALABLE


# ---------------------------------------------------------------- Dockerfiles


BUILT_SERVICES = sorted(name for name, spec in services().items() if "build" in spec)
DOCKERFILES = sorted((ROOT / "deploy").glob("*.Dockerfile"))


@pytest.mark.parametrize("service", BUILT_SERVICES)
def test_build_uses_the_repo_root_and_an_existing_dockerfile(service: str) -> None:
    assert services()[service]["build"].get("context", ".") == "."
    assert dockerfile_of(service).is_file()


def test_every_dockerfile_is_built_by_a_service() -> None:
    assert set(DOCKERFILES) == {dockerfile_of(s) for s in BUILT_SERVICES}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_path_exists_and_is_not_ignored(dockerfile: Path) -> None:
    for source in copy_sources(dockerfile):
        assert (ROOT / source).exists(), f"{dockerfile.name} copies missing {source}"
        assert not dockerignore_excludes(source), f".dockerignore hides {source}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_image_is_python_311_slim_and_runs_as_non_root(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], a.split()[0]) for w, a in steps if w == "FROM"
    ]
    assert bases and all(fnmatch.fnmatch(b, "python:3.11-slim*") for b in bases)
    users = [a for w, a in final_stage(dockerfile) if w == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("service", sorted(MEMBER_SERVICES))
def test_member_image_installs_only_its_own_package(service: str) -> None:
    dockerfile, member = dockerfile_of(service), MEMBER_SERVICES[service]
    package = member_project(member)["project"]["name"]
    syncs = [a for w, a in instructions(dockerfile) if w == "RUN" and "uv sync" in a]
    assert len(syncs) == 2, "one dependency layer, one project layer"
    for sync in syncs:
        assert re.findall(r"--package\s+(\S+)", sync) == [package]
        assert "--frozen" in sync and "--no-dev" in sync
    sources = copy_sources(dockerfile)
    assert {s for s in sources if s.endswith("/src")} == {"shared/src", f"{member}/src"}
    # uv reads the lock only with every workspace member's pyproject present.
    assert {"pyproject.toml", "uv.lock"} <= set(sources)
    assert {f"{m}/pyproject.toml" for m in workspace_members()} <= set(sources)
    assert "pip install" in " ".join(a for w, a in instructions(dockerfile) if w == "RUN")


@pytest.mark.parametrize("service", sorted(MEMBER_SERVICES))
def test_member_image_runs_its_own_module(service: str) -> None:
    cmd = cmd_of(dockerfile_of(service))
    entry = cmd[cmd.index("-A") + 1] if cmd[0] == "celery" else cmd[1]
    assert entry.split(".")[0] == member_module(MEMBER_SERVICES[service])


@pytest.mark.parametrize(
    ("service", "queue"), [("generator-worker", "generate"), ("loader-worker", "load")]
)
def test_worker_consumes_its_queue_one_task_at_a_time(service: str, queue: str) -> None:
    cmd = cmd_of(dockerfile_of(service))
    assert cmd[:1] == ["celery"] and "worker" in cmd
    assert cmd[cmd.index("-Q") + 1] == queue
    assert cmd[cmd.index("--concurrency") + 1] == "1"


def test_gateway_image_serves_the_web_ui_it_copies() -> None:
    dockerfile = dockerfile_of("api-gateway")
    copies = [shlex.split(a) for w, a in final_stage(dockerfile) if w == "COPY"]
    destination = next(parts[-1] for parts in copies if parts[0] == "web-ui")
    env = " ".join(a for w, a in final_stage(dockerfile) if w == "ENV")
    assert f"DWSIM_WEB_UI_DIR={destination}" in env
    assert services()["migrate"]["image"] == services()["api-gateway"]["image"]
    assert services()["migrate"]["command"] == ["dw-sim-admin", "migrate"]


def test_snowflake_emulator_serves_on_all_interfaces_with_the_locked_fakesnow() -> None:
    dockerfile = dockerfile_of("snowflake-emulator")
    cmd = cmd_of(dockerfile)
    # The project's wrapper of fakesnow's server (timeouts, cancel, memory limit), copied alone.
    assert cmd[:2] == ["python", "/opt/dwsim/emulator_server.py"]
    copies = [shlex.split(a) for w, a in instructions(dockerfile) if w == "COPY"]
    assert ["shared/src/dwsim_shared/emulator_server.py", cmd[1]] in copies
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert ("STOPSIGNAL", "SIGINT") in instructions(dockerfile)
    locked = {
        p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    }
    pin = next(
        a for w, a in instructions(dockerfile) if w == "ARG" and a.startswith("FAKESNOW_VERSION=")
    )
    assert pin.split("=", 1)[1] == locked["fakesnow"]


@pytest.mark.parametrize(
    "path", [".venv", ".tools", ".dwsim", ".git", "shared/src/dwsim_shared/__pycache__"]
)
def test_dockerignore_keeps_local_state_out_of_the_context(path: str) -> None:
    assert dockerignore_excludes(path)
