"""GET /healthz: 200 JSON when the database answers and a worker beat recently, else 503 saying which part failed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from hub.clock import now
from hub.models import WorkerHeartbeat
from hub.services import health
from tests.support.processes import free_port
from web.app import routes
from web.health import healthz

REPO_ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_DATABASE_SCRIPT = """
import asyncio, json, sys, tempfile
import httpx
from hub.settings import load_settings
from web.app import create_app

async def main():
    settings = load_settings({"HUB_DATABASE_URL": sys.argv[1], "HUB_DATA_DIR": tempfile.mkdtemp(), "HUB_DOMAIN": "127.0.0.1:9"})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9") as client:
            response = await client.get("/healthz")
            print(json.dumps([response.status_code, response.json()]))

asyncio.run(main())
"""

pytestmark = pytest.mark.db


async def test_no_worker_is_unavailable(web) -> None:
    """The in-process worker is off in these tests and no other worker runs: 503 naming the worker."""
    response = await web.client.get("/healthz")
    assert response.status_code == 503 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok" and "no worker heartbeat" in body["worker"]


async def test_recent_heartbeat_is_healthy_and_a_stale_one_is_not(web) -> None:
    """A heartbeat written seconds ago: 200; the same heartbeat two minutes old: 503 with its age."""
    await health.beat("box:1:aa", now())
    response = await web.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok",
                               "worker_heartbeat_age_seconds": response.json()["worker_heartbeat_age_seconds"]}
    await WorkerHeartbeat.filter(owner="box:1:aa").update(beat_at=now() - timedelta(minutes=2))
    stale = await web.client.get("/healthz")
    assert stale.status_code == 503 and "last worker heartbeat 120 s ago" in stale.json()["worker"]
    assert stale.json()["worker_heartbeat_age_seconds"] >= 120



def test_unreachable_database_is_unavailable() -> None:
    """A database that does not answer: 503 saying so (in a process of its own: tortoise keeps one configuration per process)."""
    url = f"postgres://causeway@127.0.0.1:{free_port()}/causeway"
    result = subprocess.run([sys.executable, "-c", UNREACHABLE_DATABASE_SCRIPT, url], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503 and body["status"] == "unavailable", result.stderr
    assert body["database"].startswith("unreachable") and body["worker"].startswith("unknown")


def test_route_is_the_health_view() -> None:
    """/healthz is served by web.health.healthz."""
    assert any(getattr(route, "path", None) == "/healthz" and route.endpoint is healthz for route in routes())
