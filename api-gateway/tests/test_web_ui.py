"""The static control panel in `web-ui/`: served by the gateway, and calling only real API paths."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings

WEB_UI = Path(__file__).resolve().parents[2] / "web-ui"
UI_FILES = ("index.html", "app.js", "style.css")

# `api("POST", `/api/experiments/${enc(name)}/generate`, body)` -> ("POST", "/api/...").
CALL = re.compile(r"""\b(?:api|request)\(\s*"([A-Z]+)"\s*,\s*(["'`])(.*?)\2""")
PATH_LITERAL = re.compile(r"""(["'`])(/(?:api|health)\b[^"'`]*)\1""")
JS_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
OPENAPI_PLACEHOLDER = re.compile(r"\{[^}]*\}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # web_ui_dir=None: the gateway's own default (the repository's web-ui/), whatever the env says.
    settings = Settings(home=tmp_path / "home", web_ui_dir=None)
    with TestClient(create_app(settings)) as client:
        yield client


def read(name: str) -> str:
    return (WEB_UI / name).read_text(encoding="utf-8")


def js_path(path: str) -> str:
    """A JS path with `${...}` parts, in the `{}` form used to compare with OpenAPI paths."""
    return JS_PLACEHOLDER.sub("{}", path)


def openapi_operations(client: TestClient) -> dict[str, set[str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {
        OPENAPI_PLACEHOLDER.sub("{}", path): {method.upper() for method in operations}
        for path, operations in paths.items()
    }


def test_root_redirects_to_the_ui(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.is_redirect
    assert answer.headers["location"] == "/ui/"


def test_ui_serves_the_page_and_its_assets(client: TestClient) -> None:
    page = client.get("/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="app.js">' in page.text
    assert '<link rel="stylesheet" href="style.css">' in page.text

    script = client.get("/ui/app.js")
    assert script.status_code == 200
    # Browsers refuse an ES module served with a non-JavaScript MIME type.
    assert "javascript" in script.headers["content-type"]
    assert script.text == read("app.js")

    css = client.get("/ui/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_every_api_call_in_the_script_exists_in_openapi(client: TestClient) -> None:
    source = read("app.js")
    operations = openapi_operations(client)

    calls = {(method, js_path(path)) for method, _, path in CALL.findall(source)}
    assert {
        ("GET", "/health"),
        ("GET", "/api/experiments"),
        ("POST", "/api/experiments"),
        ("GET", "/api/experiments/{}"),
        ("DELETE", "/api/experiments/{}"),
        ("POST", "/api/experiments/{}/generate"),
        ("GET", "/api/experiments/{}/runs"),
        ("GET", "/api/experiments/{}/runs/{}"),
        ("POST", "/api/experiments/{}/query"),
    } <= calls, "the call pattern no longer matches the script: update CALL"
    missing = sorted(call for call in calls if call[0] not in operations.get(call[1], set()))
    assert not missing, f"the UI calls operations the gateway does not have: {missing}"

    literals = {js_path(path) for _, path in PATH_LITERAL.findall(source)}
    assert not literals - operations.keys(), "a path in the script is not an API path"


def test_every_element_the_script_looks_up_is_in_the_page() -> None:
    ids = set(re.findall(r"""\$\(\s*["']([\w-]+)["']\s*\)""", read("app.js")))
    assert len(ids) > 20
    page_ids = set(re.findall(r"""\bid="([\w-]+)\"""", read("index.html")))
    assert not ids - page_ids, f"ids missing from index.html: {sorted(ids - page_ids)}"


def test_script_never_inserts_markup() -> None:
    source = read("app.js")
    assert not re.search(r"innerHTML\s*[+]?=[^;]*\$\{", source, re.DOTALL)
    # Stricter than the rule: the script builds every node with createElement and text.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, f"app.js uses {sink}"


@pytest.mark.parametrize("name", UI_FILES)
def test_ui_files_load_nothing_from_the_internet(name: str) -> None:
    assert not re.search(r"https?://", read(name), re.IGNORECASE)
    assert "//cdn" not in read(name)


def test_example_document_in_the_page_is_accepted(client: TestClient) -> None:
    textarea = re.search(
        r'<textarea id="create-json"[^>]*>(.*?)</textarea>', read("index.html"), re.S
    )
    assert textarea is not None
    document = json.loads(html.unescape(textarea.group(1)))
    assert len(document["tables"]) == 2
    assert any("foreign_key" in c for t in document["tables"] for c in t["columns"])

    created = client.post("/api/experiments", json=document)
    assert created.status_code == 201, created.text
    listed = client.get("/api/experiments").json()["experiments"]
    assert [(e["name"], e["tables"]) for e in listed] == [(document["name"], 2)]
