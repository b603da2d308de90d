"""Polling a run: answered from a cached view, with the token still checked and a cancel
through this gateway seen at once."""

from __future__ import annotations

from .conftest import GatewayFactory, small_experiment

AUTH = {"Authorization": "Bearer t0k"}


def test_cached_polls_still_need_the_token_and_see_a_cancel_at_once(
    gateway: GatewayFactory,
) -> None:
    client = gateway(api_token="t0k")
    assert (
        client.post("/api/experiments", json=small_experiment("polled"), headers=AUTH).status_code
        == 201
    )
    link = client.post("/api/experiments/polled/generate", json={}, headers=AUTH).json()["links"][
        "run"
    ]
    first = client.get(link, headers=AUTH)
    assert first.status_code == 200 and first.json()["status"] == "QUEUED"
    again = client.get(link, headers=AUTH)  # from the cache, before routing
    assert again.content == first.content
    assert client.get(link).status_code == 401
    assert client.get(link, headers={"Authorization": "Bearer t0kx"}).status_code == 401
    assert client.get(link.replace("polled", "other"), headers=AUTH).status_code == 404
    assert client.get(link + "9", headers=AUTH).status_code == 404
    cancelled = client.post(f"{link}/cancel", headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "ABORTED"
    assert client.get(link, headers=AUTH).json()["status"] == "ABORTED"
