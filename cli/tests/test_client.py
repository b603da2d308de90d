from __future__ import annotations

import json
import shlex

import httpx
import pytest

from dwsim_cli import api
from dwsim_cli.client import ApiRequest, GatewayClient, build_url, render_curl
from dwsim_cli.errors import ApiError, BadAnswer, GatewayUnreachable


def test_build_url_handles_trailing_slash_and_prefix() -> None:
    assert build_url("http://h:8000/", "/api/experiments") == "http://h:8000/api/experiments"
    assert build_url("http://h/dw", "/health") == "http://h/dw/health"


def test_endpoint_paths_quote_names() -> None:
    assert api.get_experiment("a b/c").path == "/api/experiments/a%20b%2Fc"
    assert api.get_run("shop", 7).path == "/api/experiments/shop/runs/7"
    assert api.list_runs("shop") == ApiRequest("GET", "/api/experiments/shop/runs")
    assert api.delete_experiment("shop").method == "DELETE"


def test_generate_body_has_only_given_options() -> None:
    assert api.generate("shop").body == {}
    assert api.generate("shop", {"a": 3}, seed=0, shard_size=10).body == {
        "rows": {"a": 3},
        "seed": 0,
        "shard_size": 10,
    }


def test_query_body() -> None:
    assert api.query("shop", "select 1").body == {"sql": "select 1"}
    assert api.query("shop", "select 1", 5).body == {"sql": "select 1", "limit": 5}


def test_curl_for_get_has_no_method_flag_no_body_no_content_type() -> None:
    line = render_curl(api.list_experiments(), "http://127.0.0.1:8000", None)
    assert line == "curl -sS http://127.0.0.1:8000/api/experiments"


def test_curl_for_delete_with_token() -> None:
    line = render_curl(api.delete_experiment("shop"), "http://h:1", "abc")
    assert shlex.split(line) == [
        "curl", "-sS", "-X", "DELETE", "http://h:1/api/experiments/shop",
        "-H", "Authorization: Bearer abc",
    ]  # fmt: skip


def test_curl_quotes_body_with_single_quotes_and_round_trips_through_the_shell() -> None:
    sql = "select * from t where name = 'O''Brien' and x > 1; -- $HOME `id`"
    line = render_curl(api.query("my shop", sql, 10), "http://h:8000/", "t'k n")
    words = shlex.split(line)
    assert words[:5] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        "http://h:8000/api/experiments/my%20shop/query",
    ]
    assert words[5:9] == [
        "-H", "Content-Type: application/json", "-H", "Authorization: Bearer t'k n",
    ]  # fmt: skip
    assert words[9] == "--data-binary"
    assert json.loads(words[10]) == {"sql": sql, "limit": 10}
    assert len(words) == 11


def test_curl_body_is_the_exact_bytes_sent() -> None:
    request = api.create_experiment({"name": "café", "tables": [{"name": "t"}]})
    words = shlex.split(render_curl(request, "http://h", None))
    assert words[-1].encode("utf-8") == request.encoded_body()


def _client(handler, token: str | None = None) -> GatewayClient:  # type: ignore[no-untyped-def]
    return GatewayClient("http://gw:8000/", token, transport=httpx.MockTransport(handler))


def test_send_posts_json_with_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"run_id": 3})

    answer = _client(handler, "tok").send(api.generate("shop", {"a": 1}))
    assert answer == {"run_id": 3}
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "http://gw:8000/api/experiments/shop/generate"
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"rows": {"a": 1}}


def test_send_without_token_sends_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"experiments": []})

    _client(handler).send(api.list_experiments())
    assert "authorization" not in seen[0].headers
    assert seen[0].content == b""


def test_send_returns_none_for_204() -> None:
    assert _client(lambda r: httpx.Response(204)).send(api.delete_experiment("x")) is None


def test_api_error_body_is_parsed() -> None:
    body = {
        "error": "invalid_document",
        "message": "the document has 1 problem",
        "details": {"problems": [{"path": "tables[0].name", "message": "required"}]},
    }
    with pytest.raises(ApiError) as exc:
        _client(lambda r: httpx.Response(422, json=body)).send(api.create_experiment({}))
    assert exc.value.status == 422
    assert exc.value.code == "invalid_document"
    assert exc.value.message == "the document has 1 problem"
    assert exc.value.details["problems"][0]["path"] == "tables[0].name"
    assert exc.value.exit_code == 1


def test_non_json_error_body_still_gives_a_message_and_5xx_exit_code() -> None:
    with pytest.raises(ApiError) as exc:
        _client(lambda r: httpx.Response(502, text="<html>Bad Gateway</html>")).send(
            api.list_experiments()
        )
    assert exc.value.message == "HTTP 502: <html>Bad Gateway</html>"
    assert exc.value.exit_code == 2


def test_connection_refused_is_gateway_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(GatewayUnreachable) as exc:
        _client(handler).send(api.list_experiments())
    assert str(exc.value) == (
        "cannot reach the gateway at http://gw:8000/: [Errno 111] Connection refused"
        " (is it running? DWSIM_URL or --url sets where it is)"
    )
    assert exc.value.exit_code == 2


def test_read_timeout_is_reported_as_no_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(GatewayUnreachable, match="no answer in time") as exc:
        _client(handler).send(api.query("shop", "select 1"))
    assert exc.value.exit_code == 2


def test_success_with_non_json_body_is_a_bad_answer() -> None:
    with pytest.raises(BadAnswer, match="not JSON"):
        _client(lambda r: httpx.Response(200, text="hello")).send(api.list_experiments())


def test_import_sql_body_has_only_given_options() -> None:
    request = api.import_sql("shop", "create table t (a int);", "redshift")
    assert request == ApiRequest(
        "POST",
        "/api/experiments/import-sql",
        {"name": "shop", "sql": "create table t (a int);", "dialect": "redshift"},
    )
    full = api.import_sql(
        "shop", "sql", "postgres", target_rows=10, rows={"t": 5},
        target_warehouse="sqlite", locale="de_DE", seed=0,
    )  # fmt: skip
    assert full.body == {
        "name": "shop", "sql": "sql", "dialect": "postgres", "target_rows": 10,
        "rows": {"t": 5}, "target_warehouse": "sqlite", "locale": "de_DE", "seed": 0,
    }  # fmt: skip


def test_validate_and_replace_requests() -> None:
    assert api.validate_experiment({"name": "x"}) == ApiRequest(
        "POST", "/api/experiments/validate", {"name": "x"}
    )
    assert api.validate_sql("sql", "snowflake").body == {"sql": "sql", "dialect": "snowflake"}
    assert api.validate_sql("sql", "snowflake", "x").body == {
        "sql": "sql",
        "dialect": "snowflake",
        "name": "x",
    }
    assert api.replace_experiment("a b", {"name": "a b"}) == ApiRequest(
        "PUT", "/api/experiments/a%20b", {"name": "a b"}
    )


def test_curl_for_put_carries_the_method_and_body() -> None:
    line = render_curl(api.replace_experiment("shop", {"name": "shop"}), "http://h:1", None)
    assert shlex.split(line) == [
        "curl", "-sS", "-X", "PUT", "http://h:1/api/experiments/shop",
        "-H", "Content-Type: application/json", "--data-binary", '{"name": "shop"}',
    ]  # fmt: skip


def test_cancel_run_request() -> None:
    from dwsim_cli import api

    request = api.cancel_run("shop", 7)
    assert (request.method, request.path) == ("POST", "/api/experiments/shop/runs/7/cancel")
