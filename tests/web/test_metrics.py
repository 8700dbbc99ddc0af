"""Who may read GET /metrics: a bearer token when HUB_METRICS_TOKEN is set, else loopback and private clients only."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from tests.web.conftest import HUB_BASE

pytestmark = pytest.mark.db

TOKEN = "0123456789abcdef0123456789abcdef"


@contextlib.asynccontextmanager
async def client_at(hub, address: str):
    """An HTTP client to the hub connecting from ``address``."""
    transport = httpx.ASGITransport(app=hub.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=HUB_BASE) as client:
        yield client


@pytest.mark.parametrize(("address", "status"), [
    ("127.0.0.1", 200), ("::1", 200), ("10.1.2.3", 200), ("192.168.0.9", 200), ("fd00::5", 200),
    ("8.8.8.8", 403), ("2a00:1450::1", 403),
])
async def test_without_a_token_only_private_clients(web_factory, address: str, status: int) -> None:
    """No token set: loopback and private addresses read the metrics, public ones get 403 with the way out."""
    hub = await web_factory()
    async with client_at(hub, address) as client:
        response = await client.get("/metrics")
    assert response.status_code == status
    if status == 200:
        assert "causeway_delivery_queue_depth" in response.text
    else:
        assert "HUB_METRICS_TOKEN" in response.text and "causeway_" not in response.text


async def test_with_a_token_the_bearer_is_required_from_everywhere(web_factory) -> None:
    """Token set: the right bearer token from any address; none, a wrong one or another scheme get 401, even on loopback."""
    hub = await web_factory(HUB_METRICS_TOKEN=TOKEN)
    async with client_at(hub, "8.8.8.8") as client:
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "causeway_delivery_due" in ok.text
    async with client_at(hub, "127.0.0.1") as client:
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer"), headers
            assert "causeway_" not in refused.text
