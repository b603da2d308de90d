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
from dwsim_shared.testing.pipeline import seed_embedded_state
from dwsim_shared.warehouses import warehouse_names

WEB_UI = Path(__file__).resolve().parents[2] / "web-ui"
# Every ES module of the panel (app.js is the entry point, the others are imported).
JS_FILES = tuple(sorted(path.name for path in WEB_UI.glob("*.js")))
UI_FILES = ("index.html", "style.css", *JS_FILES)

# `api("POST", `/api/experiments/${enc(name)}/generate`, body)` -> ("api", "POST", "/api/...");
# `download(...)` is the same call answering a file (a Blob) rather than JSON.
CALL = re.compile(r"""\b(api|request|download)\(\s*"([A-Z]+)"\s*,\s*(["'`])(.*?)\3""")
PATH_LITERAL = re.compile(r"""(["'`])(/(?:api|health)\b[^"'`]*)\1""")
JS_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
OPENAPI_PLACEHOLDER = re.compile(r"\{[^}]*\}")
# `import { api } from "./api.js";` -> "./api.js".
IMPORT = re.compile(r"""^\s*import\s[^;]*?\sfrom\s*["']([^"']+)["']""", re.M)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # web_ui_dir=None: the gateway's own default (the repository's web-ui/), whatever the env says.
    settings = Settings(home=tmp_path / "home", web_ui_dir=None)
    seed_embedded_state(settings.home)
    with TestClient(create_app(settings)) as client:
        yield client


def read(name: str) -> str:
    return (WEB_UI / name).read_text(encoding="utf-8")


def scripts() -> str:
    """All the panel's JavaScript, every module."""
    return "\n".join(read(name) for name in JS_FILES)


def textarea(element_id: str) -> str:
    """The initial text of a <textarea> in the page."""
    found = re.search(
        rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', read("index.html"), re.S
    )
    assert found is not None, f"no textarea {element_id!r} in index.html"
    return html.unescape(found.group(1))


def options(select_id: str) -> list[str]:
    """The option values of a <select> in the page."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', read("index.html"), re.S)
    assert found is not None, f"no select {select_id!r} in index.html"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def js_path(path: str) -> str:
    """A JS path with `${...}` parts, in the `{}` form used to compare with OpenAPI paths."""
    return JS_PLACEHOLDER.sub("{}", path.split("?")[0])


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

    assert {"app.js", "api.js"} <= set(JS_FILES)
    for name in JS_FILES:
        script = client.get(f"/ui/{name}")
        assert script.status_code == 200, name
        # Browsers refuse an ES module served with a non-JavaScript MIME type.
        assert "javascript" in script.headers["content-type"], name
        assert script.text == read(name)

    css = client.get("/ui/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_modules_import_only_each_other_and_all_are_used() -> None:
    imported: set[str] = set()
    for name in JS_FILES:
        for target in IMPORT.findall(read(name)):
            # Browsers need a relative URL with its extension: no bare names, no build step.
            assert target.startswith("./") and target.endswith(".js"), f"{name}: {target}"
            assert (WEB_UI / target).is_file(), f"{name} imports a missing module {target}"
            imported.add(target.removeprefix("./"))
    vendored = {name for name in imported if name.startswith("vendor/")}
    assert vendored == {"vendor/codemirror.js", "vendor/uplot.js"}, vendored
    assert set(JS_FILES) == (imported - vendored) | {"app.js"}, "a module is never imported"
    assert "app.js" not in imported


def test_every_api_call_in_the_script_exists_in_openapi(client: TestClient) -> None:
    source = scripts()
    operations = openapi_operations(client)

    found = {(helper, method, js_path(path)) for helper, method, _, path in CALL.findall(source)}
    calls = {(method, path) for _, method, path in found}
    assert len(calls) >= 13
    assert {
        ("GET", "/health"),
        ("GET", "/api/experiments"),
        ("POST", "/api/experiments"),
        ("POST", "/api/experiments/import-sql"),
        ("POST", "/api/experiments/validate"),
        ("GET", "/api/experiments/{}"),
        ("PUT", "/api/experiments/{}"),
        ("DELETE", "/api/experiments/{}"),
        ("POST", "/api/experiments/{}/generate"),
        ("GET", "/api/experiments/{}/runs"),
        ("GET", "/api/experiments/{}/runs/{}"),
        ("POST", "/api/experiments/{}/runs/{}/cancel"),
        ("POST", "/api/experiments/{}/query"),
        ("GET", "/api/experiments/{}/tables"),
        ("GET", "/api/experiments/{}/tables/{}/preview"),
        ("GET", "/api/experiments/{}/tables/{}/profile"),
        ("GET", "/api/experiments/{}/runs/{}/shards"),
        ("GET", "/api/experiments/{}/queries"),
        ("POST", "/api/experiments/{}/queries"),
        ("PUT", "/api/experiments/{}/queries/{}"),
        ("DELETE", "/api/experiments/{}/queries/{}"),
        ("POST", "/api/experiments/{}/queries/{}/run"),
        ("GET", "/api/experiments/{}/history"),
        ("GET", "/api/warehouses"),
    } <= calls, "the call pattern no longer matches the script: update CALL"
    # The query is made twice: as JSON (Run query), and as a file (Download CSV).
    assert {
        ("api", "POST", "/api/experiments/{}/query"),
        ("download", "POST", "/api/experiments/{}/query"),
    } <= found
    missing = sorted(call for call in calls if call[0] not in operations.get(call[1], set()))
    assert not missing, f"the UI calls operations the gateway does not have: {missing}"

    literals = {js_path(path) for _, path in PATH_LITERAL.findall(source)}
    assert not literals - operations.keys(), "a path in the script is not an API path"


def test_every_element_the_script_looks_up_is_in_the_page() -> None:
    ids = set(re.findall(r"""\$\(\s*["']([\w-]+)["']\s*\)""", scripts()))
    assert len(ids) > 50
    page = read("index.html")
    page_ids = re.findall(r"""\bid="([\w-]+)\"""", page)
    assert len(page_ids) == len(set(page_ids)), "an id is used twice in index.html"
    assert not ids - set(page_ids), f"ids missing from index.html: {sorted(ids - set(page_ids))}"
    # Labels, tabs and lists point at elements that exist.
    references = set(re.findall(r'\b(?:for|aria-controls|aria-labelledby)="([\w-]+)"', page))
    assert not references - set(page_ids), f"dangling references: {references - set(page_ids)}"


@pytest.mark.parametrize("name", JS_FILES)
def test_script_never_inserts_markup(name: str) -> None:
    source = read(name)
    assert not re.search(r"innerHTML\s*[+]?=[^;]*\$\{", source, re.DOTALL)
    # Stricter than the rule: the script builds every node with createElement and text.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, f"{name} uses {sink}"


@pytest.mark.parametrize("name", UI_FILES)
def test_ui_files_load_nothing_from_the_internet(name: str) -> None:
    # The SVG namespace is a name, not a place anything is fetched from.
    text = read(name).replace('"http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://", text, re.IGNORECASE)
    assert "//cdn" not in text


def test_vendored_editor_bundle_is_one_module_with_its_licence_and_recipe() -> None:
    bundle = (WEB_UI / "vendor" / "codemirror.js").read_text(encoding="utf-8")
    assert "import " not in bundle[:200] and not re.search(r"""\bimport\s*\(?["']""", bundle)
    for name in ("EditorView", "basicSetup", "sql", "startCompletion", "PostgreSQL"):
        assert re.search(rf"\b{name}\b", bundle), name
    licence = (WEB_UI / "vendor" / "codemirror.LICENSE.txt").read_text(encoding="utf-8")
    assert "@codemirror/lang-sql" in licence and "MIT" in licence
    recipe = WEB_UI / "vendor" / "codemirror-src"
    assert "npm run build" in (recipe / "README.md").read_text(encoding="utf-8")
    assert "esbuild" in (recipe / "package.json").read_text(encoding="utf-8")
    assert (recipe / "package-lock.json").is_file()


def test_example_document_in_the_page_is_accepted(client: TestClient) -> None:
    document = json.loads(textarea("create-json"))
    assert len(document["tables"]) == 2
    assert any("foreign_key" in c for t in document["tables"] for c in t["columns"])

    created = client.post("/api/experiments", json=document)
    assert created.status_code == 201, created.text
    listed = client.get("/api/experiments").json()["experiments"]
    assert [(e["name"], e["tables"]) for e in listed] == [(document["name"], 2)]


def import_form() -> dict[str, object]:
    """The import-sql body the page sends as it first shows (empty rows and warehouse left out)."""
    name = re.search(r'<input id="import-name"[^>]*\bvalue="([^"]*)"', read("index.html"))
    assert name is not None
    return {"name": name.group(1), "sql": textarea("import-sql"), "dialect": "redshift"}


def test_example_ddl_in_the_page_is_imported(client: TestClient) -> None:
    body = import_form()
    assert "FOREIGN KEY" in body["sql"] and "DISTKEY" in body["sql"] and "GRANT" in body["sql"]
    assert options("import-dialect")[0] == body["dialect"]

    answer = client.post("/api/experiments/import-sql", json=body)
    assert answer.status_code == 201, answer.text
    imported = answer.json()
    tables = imported["experiment"]["tables"]
    assert len(tables) == 2
    assert any("GRANT" in warning for warning in imported["warnings"]), imported["warnings"]
    assert any(c.get("foreign_key") for t in tables for c in t["columns"])
    assert any(c.get("inferred") for t in tables for c in t["columns"]), "nothing to highlight"
    assert all(t.get("warehouse_options", {}).get("distkey") for t in tables)

    stored = client.get(f"/api/experiments/{body['name']}").json()
    assert stored == imported["experiment"]
    # The Edit round trip: the document shown, sent back unchanged, is accepted as it is.
    replaced = client.put(f"/api/experiments/{body['name']}", json=stored)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == stored


def test_validate_of_the_example_ddl_saves_nothing(client: TestClient) -> None:
    answer = client.post("/api/experiments/validate", json=import_form())
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is True
    assert len(answer.json()["experiment"]["tables"]) == 2
    assert answer.json()["warnings"]
    assert client.get("/api/experiments").json()["experiments"] == []


def test_import_form_choices_are_accepted(client: TestClient) -> None:
    dialects = options("import-dialect")
    assert dialects == ["redshift", "snowflake", "postgres"]
    for dialect in dialects:
        body = {"sql": "CREATE TABLE t (id INT PRIMARY KEY)", "dialect": dialect}
        answer = client.post("/api/experiments/validate", json=body)
        assert answer.status_code == 200, (dialect, answer.text)

    warehouses = options("import-warehouse")
    assert warehouses[0] == "", "the first choice leaves the server's default"
    assert set(warehouses[1:]) <= set(warehouse_names())
    for warehouse in warehouses[1:]:
        body = {
            "sql": "CREATE TABLE t (id INT)",
            "dialect": "redshift",
            "target_warehouse": warehouse,
        }
        answer = client.post("/api/experiments/validate", json=body)
        assert answer.status_code == 200, (warehouse, answer.text)
        assert answer.json()["experiment"]["target_warehouse"] == warehouse


def test_ddl_syntax_error_carries_the_position_the_page_shows(client: TestClient) -> None:
    body = {**import_form(), "sql": "CREATE TABLE t (id INT"}
    answer = client.post("/api/experiments/import-sql", json=body)
    assert answer.status_code == 400
    details = answer.json()["details"]
    assert {"line", "column", "near"} <= details.keys()
    # The page destructures these fields of `details` to show where the error is.
    shown = re.findall(r"const \{([^}]*)\} = error\.details", scripts())
    assert any({"line", "column", "near"} <= set(re.findall(r"\w+", names)) for names in shown)


def test_cancel_endpoint_the_page_calls_is_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/experiments/{name}/runs/{run_id}/cancel"]
    source = scripts()
    cancel = re.search(r"`/api/experiments/\$\{enc\(name\)\}/runs/\$\{(\w+)\}/cancel`", source)
    assert cancel is not None, "the page does not call the cancel endpoint"
    # Offered only for an active run: the button checks the final statuses.
    assert re.search(r"FINAL_STATUSES = new Set\(\[[^\]]*\"ABORTED\"", source)


def test_csv_download_sends_format_csv_and_saves_a_file() -> None:
    query = read("query.js")
    download = re.search(r"async function downloadCsv\(\)(.*?)\n  \}\n", query, re.S)
    assert download is not None, "no downloadCsv in query.js"
    body = download.group(1)
    assert re.search(r"""\bformat:\s*["']csv["']""", body), "the download does not ask for CSV"
    assert "queryBody(statement.sql)" in body, "the download drops the SQL or the row limit"
    assert re.search(r"""\bdownload\(\s*"POST",\s*`/api/experiments/[^`]*/query`""", body)
    assert re.search(r"saveBlob\(blob, `\$\{name\}\.csv`\)", body)
    assert "showError(" in body, "an error answer is not shown"
    # The file is saved with an object URL and a temporary <a download>, the token kept.
    dom = read("dom.js")
    assert "URL.createObjectURL(blob)" in dom and "URL.revokeObjectURL(url)" in dom
    assert re.search(r'el\("a", \{[^}]*\bdownload: filename', dom)
    api = read("api.js")
    assert re.search(r"export async function download\(", api)
    assert "headers.Authorization = `Bearer ${token}`" in api


def test_csv_query_error_is_the_json_error_the_page_shows(client: TestClient) -> None:
    created = client.post("/api/experiments", json=json.loads(textarea("create-json")))
    assert created.status_code == 201, created.text
    # No query service in this test: the gateway answers the CSV call with its JSON error body.
    answer = client.post(
        f"/api/experiments/{created.json()['name']}/query",
        json={"sql": "SELECT 1", "limit": 5, "format": "csv"},
    )
    assert answer.status_code >= 400
    assert answer.headers["content-type"].startswith("application/json")
    assert {"error", "message", "details"} <= answer.json().keys()
