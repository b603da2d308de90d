"""`/docs` and `/redoc` work offline; the OpenAPI document is typed and shows the real errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings
from dwsim_shared.testing.pipeline import seed_embedded_state

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    seed_embedded_state(tmp_path / "home")
    with TestClient(create_app(Settings(home=tmp_path / "home"))) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_no_external_host(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", answer.text, re.I), answer.text
    assert "fonts.googleapis" not in answer.text and "cdn" not in answer.text.lower()
    referenced = [a or b for a, b in URL.findall(answer.text)]
    assert referenced, "no asset referenced at all"
    for url in referenced:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    scripts = [u for u in referenced if u.endswith(".js")]
    assert scripts, "the page loads no script"


def test_swagger_ui_does_not_call_the_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_every_api_operation_documents_the_error_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"error", "message"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "404", "409", "422", "503"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
            ok = next(s for s in responses if s.startswith("2"))
            if "application/gzip" in responses[ok].get("content", {}):  # a file: bundles
                continue
            if ok != "204":
                schema = responses[ok]["content"]["application/json"]["schema"]
                assert schema.get("$ref") or schema.get("type") == "object", (method, path)
                assert schema != {}, (method, path)


def test_answers_are_typed_and_request_bodies_have_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    paths = spec["paths"]
    tables = paths["/api/experiments/{name}/tables"]["get"]["responses"]["200"]
    assert tables["content"]["application/json"]["schema"]["$ref"].endswith("/TablesAnswer")
    column = schemas["ColumnInfo"]["properties"]
    assert {"data_type", "source_type", "nullable", "key", "foreign_key", "rules"} <= set(column)
    assert {"null_fraction", "distinct_count", "min", "max", "top_values"} <= set(
        schemas["ColumnProfile"]["properties"]
    )
    run = paths["/api/experiments/{name}/runs/{run_id}"]["get"]["responses"]["200"]
    assert run["content"]["application/json"]["schema"]["$ref"].endswith("/RunView")
    for path, method in [
        ("/api/experiments/import-sql", "post"),
        ("/api/experiments/{name}/generate", "post"),
        ("/api/experiments/{name}/query", "post"),
        ("/api/experiments/{name}/queries", "post"),
        ("/api/experiments/{name}/queries/{query_name}", "put"),
    ]:
        body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        ref = body.get("$ref") or next(
            (s["$ref"] for s in body.get("anyOf", []) if "$ref" in s), None
        )
        assert ref is not None, path
        assert schemas[ref.rsplit("/", 1)[1]].get("examples"), f"no example for {method} {path}"
    assert schemas["Experiment"].get("examples"), "no example experiment document"


def test_every_request_body_has_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bodies = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            bodies += 1
            if content.get("examples") or content.get("example"):
                continue
            schema = content["schema"]
            refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
            named = [schemas[r.rsplit("/", 1)[1]] for r in refs if r]
            assert any(s.get("examples") for s in named), f"no example for {method} {path}"
    assert bodies >= 9


def test_redoc_bundle_is_served_without_its_cdn_logo(client: TestClient) -> None:
    script = client.get("/docs-assets/redoc.standalone.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "cdn.redoc.ly" not in script.text and len(script.text) > 500_000
    assert "/docs-assets/favicon.png" in script.text
