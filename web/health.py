"""GET /healthz for load balancers: 200 when the database answers and a worker's heartbeat is recent, else 503.

The JSON body says which part failed (``{"status": "unavailable", "database": "ok", "worker": "last
worker heartbeat 95 s ago …"}``); it names no host, key or member. Never cached.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from hub.services import health


async def healthz(request: Request) -> JSONResponse:
    """The hub's health as JSON (hub.services.health.check)."""
    state = await health.check()
    body = {
        "status": "ok" if state.ok else "unavailable",
        "database": state.database,
        "worker": state.worker,
        "worker_heartbeat_age_seconds": None if state.worker_age is None else round(state.worker_age, 1),
    }
    return JSONResponse(body, status_code=200 if state.ok else 503, headers={"Cache-Control": "no-store"})
