"""Figures about the delivery queue for operators (``hub deliveries``, /metrics, the admin page), its samples and dead letters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from hub.clock import now
from hub.lifecycle import DELIVERY
from hub.models import Delivery, Group, Peer, QueueSample
from hub.queue import move_all


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


SAMPLE_LOCK = 0x43415553
"""PostgreSQL advisory lock key taken while a worker adds to the minute's QueueSample."""
DEAD_LISTED = 100


async def queue_counts() -> dict[str, int]:
    """Deliveries queued, due now (or being sent), delivered and dead: the figures ``hub deliveries --watch`` redraws."""
    counts = {state: await Delivery.filter(state=state).count() for state in ("queued", "delivered", "dead")}
    counts["due"] = await Delivery.filter(state="queued", next_try_at__lte=now()).count()
    return counts


async def record_sample(*, delivered: int, failed: int) -> QueueSample:
    """Add one worker's counts to the QueueSample of the current minute, with the queue depth and dead total.

    Several workers share one row per minute: on PostgreSQL they take turns under a transaction-level
    advisory lock; SQLite serialises writers anyway.
    """
    minute = now().replace(second=0, microsecond=0)
    queued = await Delivery.filter(state="queued").count()
    dead = await Delivery.filter(state="dead").count()
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [SAMPLE_LOCK])
        sample = await QueueSample.filter(sampled_at=minute).first()
        if sample is None:
            return await QueueSample.create(sampled_at=minute, queued=queued, delivered=delivered, failed=failed, dead=dead)
        sample.queued, sample.dead = queued, dead
        sample.delivered += delivered
        sample.failed += failed
        await sample.save(update_fields=["queued", "dead", "delivered", "failed"])
    return sample


async def recent_samples(hours: float = 24.0) -> list[QueueSample]:
    """The QueueSamples of the last ``hours`` hours, oldest first."""
    return await QueueSample.filter(sampled_at__gte=now() - timedelta(hours=hours)).order_by("sampled_at")


async def dead_deliveries(*, host: str | None = None, limit: int = DEAD_LISTED) -> list[dict]:
    """The dead letters, newest first: where they went, what they carried and why they were given up."""
    query = Delivery.filter(state="dead")
    if host:
        query = query.filter(host=host)
    rows = await query.order_by("-id").limit(limit)
    return [
        {"id": d.id, "host": d.host, "inbox": d.inbox, "activity": d.activity_uri, "tries": d.tries,
         "last_status": d.last_status, "last_error": d.last_error, "created_at": d.created_at.isoformat()}
        for d in rows
    ]


GroupActor = Callable[[str], str]
"""A local group's actor URI (the ``actor_uri`` of what it signs) from its slug; the caller's layer builds URLs."""


@dataclass(frozen=True)
class Retried:
    """What a retry of dead letters did."""

    queued: int
    """Dead letters queued again."""
    held: int
    """Dead letters left dead because a suspended group signed them: nothing of it goes out while the suspension lasts."""


async def suspended_signers(group_actor: GroupActor) -> dict[str, Group]:
    """The suspended local groups by the actor URI their deliveries are signed with."""
    return {group_actor(g.slug): g for g in await Group.filter(suspended_at__isnull=False)}


def held_by(delivery: Delivery, signers: dict[str, Group]) -> Group | None:
    """The suspended group that holds ``delivery`` back: it signed it before its suspension (the suspension's own
    announcement, queued after it, still goes out); None when nothing holds it."""
    group = signers.get(delivery.actor_uri)
    return group if group is not None and delivery.created_at < group.suspended_at else None


def _held(signers: dict[str, Group]) -> Q | None:
    """The deliveries :func:`held_by` holds back, as a filter."""
    if not signers:
        return None
    return Q(*[Q(actor_uri=uri, created_at__lt=g.suspended_at) for uri, g in signers.items()], join_type="OR")


async def retry_dead(*, group_actor: GroupActor, host: str | None = None, delivery_id: int | None = None,
                     signers: dict[str, Group] | None = None) -> Retried:
    """Queue the dead deliveries (of ``host``, the one ``delivery_id``, or all) again with a fresh schedule, but for
    those a suspended group signed (:func:`held_by`; ``signers``, when the caller has read them already): they stay
    dead and are counted."""
    query = Delivery.filter(host=host) if host else Delivery.all()
    if delivery_id is not None:
        query = query.filter(id=delivery_id)
    held = _held(signers if signers is not None else await suspended_signers(group_actor))
    held_count = 0
    if held is not None:
        held_count = await query.filter(held, state="dead").count()
        query = query.exclude(held)
    queued = await move_all(query, "dead", "queued", tries=0, next_try_at=now(), lease_until=None, lease_owner=None)
    return Retried(queued=queued, held=held_count)


async def instance_health(*, limit: int = 200) -> list[dict]:
    """Per peer server: software, last success and failure, failures in a row, pause, queued and dead deliveries.

    Servers with queued or dead deliveries or failures come first; at most ``limit`` rows.
    """
    counts = await (
        Delivery.filter(state__in=["queued", "dead"]).annotate(n=Count("id")).group_by("host", "state")
        .values_list("host", "state", "n")
    )
    per_host: dict[str, dict[str, int]] = {}
    for host, state, n in counts:
        per_host.setdefault(host, {"queued": 0, "dead": 0})[state] = n
    troubled = await Peer.filter(consecutive_failures__gt=0).values_list("host", flat=True)
    hosts = set(per_host) | set(troubled)
    peers = {p.host: p for p in await Peer.filter(host__in=sorted(hosts))} if hosts else {}
    if len(peers) < limit:
        for peer in await Peer.filter(last_success_at__isnull=False).order_by("-last_success_at").limit(limit):
            peers.setdefault(peer.host, peer)
    rows = []
    for host in set(peers) | set(per_host):
        peer = peers.get(host) or Peer(host=host)
        rows.append({
            "host": host, "software": peer.software, "software_version": peer.software_version,
            "last_success_at": peer.last_success_at, "last_failure_at": peer.last_failure_at,
            "consecutive_failures": peer.consecutive_failures or 0, "paused_until": peer.paused_until,
            "blocked": bool(peer.blocked), "queued": per_host.get(host, {}).get("queued", 0),
            "dead": per_host.get(host, {}).get("dead", 0),
        })
    rows.sort(key=lambda r: (-r["consecutive_failures"], -r["queued"], -r["dead"], r["host"]))
    return rows[:limit]
