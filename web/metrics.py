"""GET /metrics: Prometheus text exposition of the hub's counters and the queues' gauges.

Counters (federation.metrics, owned by the Federation object) count what was done: the
deliveries a worker attempted by outcome, the POSTs the inboxes got and the signatures they
refused by reason. On SQLite (one process) they are this process's; on PostgreSQL every process
(each ``hub serve``, each ``hub worker``) writes its counters to the database and this page shows
their sums (federation.shared_metrics), whichever process answers. The gauges below come from the
database at scrape time and so describe every worker's queues alike:

- ``causeway_delivery_queue_depth``: deliveries queued (due now or later);
- ``causeway_delivery_due``: deliveries due now;
- ``causeway_delivery_oldest_due_age_seconds``: how long the oldest due delivery has waited;
- ``causeway_deliveries_dead``: dead letters (given up; ``hub deliveries --dead``);
- ``causeway_inbox_queue_depth`` and ``causeway_event_queue_depth``: received activities and
  domain events waiting for the worker;
- ``causeway_peers_paused``: servers whose circuit breaker is open.

Only counts are exposed (no host names), so the page stays small and says nothing about members.

Who may read it: with HUB_METRICS_TOKEN set, requests carrying ``Authorization: Bearer <token>``
(401 otherwise); without it, only clients on loopback or private addresses (403 otherwise). The
client address is the one web.proxies settled on, so behind a trusted proxy a visitor from the
internet is refused even though the proxy itself connects from loopback.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request
from starlette.responses import Response

from federation import shared_metrics
from federation.metrics import CONTENT_TYPE, gauge_lines
from hub.clock import now
from hub.models import Delivery, Event, InboxItem, Peer


async def queue_gauges() -> list[list[str]]:
    """The gauge blocks read from the database."""
    moment = now()
    queued = await Delivery.filter(state="queued").count()
    due = await Delivery.filter(state="queued", next_try_at__lte=moment).count()
    oldest = await Delivery.filter(state="queued", next_try_at__lte=moment).order_by("next_try_at").first()
    age = (moment - oldest.next_try_at).total_seconds() if oldest is not None else 0.0
    return [
        gauge_lines("causeway_delivery_queue_depth", "Deliveries queued, due now or later.", queued),
        gauge_lines("causeway_delivery_due", "Deliveries due now.", due),
        gauge_lines("causeway_delivery_oldest_due_age_seconds", "Seconds the oldest due delivery has waited.", max(age, 0.0)),
        gauge_lines("causeway_deliveries_dead", "Deliveries given up (dead letters).", await Delivery.filter(state="dead").count()),
        gauge_lines("causeway_inbox_queue_depth", "Received activities waiting to be processed.",
                    await InboxItem.filter(state="pending").count()),
        gauge_lines("causeway_event_queue_depth", "Domain events waiting to be federated.", await Event.filter(state="pending").count()),
        gauge_lines("causeway_peers_paused", "Peer servers whose circuit breaker is open.",
                    await Peer.filter(paused_until__gt=moment).count()),
    ]


def _private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_private


def refusal(request: Request) -> Response | None:
    """The 401/403 answer for a request that may not read the metrics, or None when it may."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return Response("a bearer token is required (HUB_METRICS_TOKEN)\n", status_code=401, media_type="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"})
    if request.client is not None and _private(request.client.host):
        return None
    return Response("metrics are served to loopback and private addresses only; set HUB_METRICS_TOKEN to read them "
                    "from elsewhere\n", status_code=403, media_type="text/plain", headers={"Cache-Control": "no-store"})


async def metrics(request: Request) -> Response:
    """The exposition (text format 0.0.4), to those :func:`refusal` lets through."""
    refused = refusal(request)
    if refused is not None:
        return refused
    fed = request.app.state.federation
    totals = None
    if fed.sharing is not None:  # several processes on PostgreSQL: the sums of every process's counters
        await fed.sharing.flush()
        totals = await shared_metrics.totals()
    body = fed.metrics.render(await queue_gauges(), totals=totals)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
