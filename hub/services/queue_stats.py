"""Figures about the delivery queue for operators (``hub deliveries``, /metrics, the admin page)."""

from __future__ import annotations

from hub.clock import now
from hub.lifecycle import DELIVERY
from hub.models import Delivery, Peer


async def delivery_stats() -> dict:
    """Deliveries per state, the oldest due delivery's time and its age, and hosts that are failing."""
    by_state = {state: await Delivery.filter(state=state).count() for state in sorted(DELIVERY.states)}
    oldest = await Delivery.filter(state="queued").order_by("next_try_at").first()
    moment = now()
    failing = await Peer.filter(consecutive_failures__gt=0).order_by("-consecutive_failures").limit(20)
    return {
        "by_state": by_state,
        "oldest_due": oldest.next_try_at.isoformat() if oldest and oldest.next_try_at <= moment else None,
        "oldest_due_age_seconds": (moment - oldest.next_try_at).total_seconds() if oldest and oldest.next_try_at <= moment else 0.0,
        "failing_hosts": [
            {"host": p.host, "consecutive_failures": p.consecutive_failures,
             "paused_until": p.paused_until.isoformat() if p.paused_until else None}
            for p in failing
        ],
    }
