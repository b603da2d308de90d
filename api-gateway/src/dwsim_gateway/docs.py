"""`/docs` (Swagger UI) and `/redoc` served from files of an installed package, never a CDN,
so the API documentation works without internet."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"


# The schema language's model lives in `shared`; its example is added to the OpenAPI here.
EXPERIMENT_EXAMPLE: dict[str, Any] = {
    "name": "shop",
    "source_dialect": "redshift",
    "target_warehouse": "sqlite",
    "tables": [
        {
            "name": "customers",
            "target_rows": 1000,
            "primary_key": ["id"],
            "columns": [
                {"name": "id", "data_type": "BIGINT"},
                {"name": "email", "data_type": "VARCHAR(120)", "faker_rule": "email"},
            ],
        },
        {
            "name": "orders",
            "target_rows": 5000,
            "primary_key": ["id"],
            "columns": [
                {"name": "id", "data_type": "BIGINT"},
                {
                    "name": "customer_id",
                    "data_type": "BIGINT",
                    "foreign_key": {"references_table": "customers", "references_column": "id"},
                },
                {"name": "amount", "data_type": "DECIMAL(12,2)", "min_value": 1, "max_value": 500},
            ],
        },
    ],
}


def _with_examples(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            schemas = spec.get("components", {}).get("schemas", {})
            if "Experiment" in schemas:
                schemas["Experiment"]["examples"] = [EXPERIMENT_EXAMPLE]
            validate = spec["paths"].get("/api/experiments/validate", {}).get("post", {})
            body = validate.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                body["examples"] = {
                    "document": {"value": EXPERIMENT_EXAMPLE},
                    "ddl": {
                        "value": {
                            "sql": "CREATE TABLE t (id INT PRIMARY KEY)",
                            "dialect": "redshift",
                        }
                    },
                }
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# ReDoc's bundle always draws its vendor's logo from a CDN; it is served with a local image.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_script() -> bytes:
    script = (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return script.replace(REDOC_LOGO, f"{PREFIX}/favicon.png").encode("utf-8")


def install(app: FastAPI) -> None:
    _with_examples(app)

    # Declared before the mount, which would otherwise answer this path with the file as it is.
    @app.get(f"{PREFIX}/redoc.standalone.js", include_in_schema=False)
    def redoc_js() -> Response:
        return Response(redoc_script(), media_type="text/javascript; charset=utf-8")

    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            # No call to validator.swagger.io from the page.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - API reference",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/favicon.png",
            with_google_fonts=False,
        )
