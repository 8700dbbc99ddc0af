"""Outgoing deliveries: one queued row per inbox, the retry schedule, and one signed POST per try.

Producers call :func:`enqueue` inside the transaction of the event they handle (delivery is a
queue, not a call). The worker claims due rows and calls :func:`send`, which signs afresh,
"double-knocks" between signature schemes on 401, records the outcome on the row and keeps each
peer's health: consecutive failures open a circuit breaker (``Peer.paused_until``) during which
claims skip the host; when the pause has expired the worker lets one delivery probe it.

Outcomes returned by :func:`send`:

- ``delivered``: 2xx;
- ``retry``: network error, 5xx, 401, 408, 429 (and other non-2xx that are not 4xx); requeued after
  :func:`retry_delay`, or ``dead`` once the schedule is exhausted;
- ``dead``: any other 4xx, an exhausted schedule, or no local key for the signing actor;
- ``gone``: 410 — the row is dead, and if the inbox is a remote actor's personal inbox that actor
  is marked gone and its memberships end.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.errors import FetchError, OriginError
from federation.fetch import host_of
from federation.net import request
from federation.signatures import SigningAuth
from hub.clock import now
from hub.models import Delivery, Group, Peer, RemoteActor
from hub.queue import finish, retry_later
from hub.services.instance import instance_key
from hub.services.members import mark_gone

log = logging.getLogger("causeway.delivery")

CONTENT_TYPE = "application/activity+json"
SCHEMES = ("cavage", "rfc9421")
DEFAULT_SCHEME = "cavage"
DEADLINE = 10.0
"""Seconds one POST may take, connect to last byte (a double knock may take two)."""
MAX_RETRIES = 16
"""Retries after the first attempt, as Mastodon (about two days in all)."""
MAX_RETRY_AFTER = 6 * 3600.0
"""A peer's Retry-After is honoured up to this many seconds."""
BREAKER_THRESHOLD = 5
"""Consecutive retry-type failures after which a host is paused."""
BREAKER_BASE = 60.0
BREAKER_MAX = 6 * 3600.0
ERROR_EXCERPT = 300
RETRY_STATUSES = frozenset({401, 408, 429})


def serialise(activity: dict) -> str:
    """The compact JSON sent for ``activity`` (serialised once, sent unchanged on every try)."""
    return json.dumps(activity, separators=(",", ":"), ensure_ascii=False)


async def enqueue(activity: dict, *, actor_uri: str, inboxes: Iterable[str], priority_hint: str | None = None) -> int:
    """Queue one delivery of ``activity`` signed by ``actor_uri`` per distinct inbox; returns how many.

    Call it inside the transaction that handles the event. Inboxes whose URL cannot be parsed are
    skipped (logged): they could never be delivered. ``priority_hint`` is accepted for callers that
    know one but not used yet: rows are claimed fewest-tries first, so fresh deliveries go first.
    """
    body = serialise(activity)
    moment = now()
    rows = []
    for inbox in dict.fromkeys(inboxes):
        try:
            host = host_of(inbox)
        except OriginError as exc:
            log.warning("not delivering %s to %r: %s", activity.get("id"), inbox, exc.reason)
            continue
        rows.append(Delivery(
            inbox=inbox, host=host, actor_uri=actor_uri, activity_uri=activity["id"], body=body,
            state="queued", next_try_at=moment,
        ))
    if rows:
        await Delivery.bulk_create(rows)
    return len(rows)


def retry_delay(tries: int, retry_after: float | None = None, *, jitter: random.Random | None = None) -> float | None:
    """Seconds before the next try after ``tries`` failed attempts; None when it is time to give up.

    Mastodon's schedule: (tries-1)⁴ + 15 s + up to 30 s × tries of jitter (none without ``jitter``),
    for at most MAX_RETRIES retries (≈ 2.1 days in all). A larger ``retry_after`` wins, capped at
    MAX_RETRY_AFTER; it never extends the schedule past its end.
    """
    tries = max(tries, 1)
    if tries > MAX_RETRIES:
        return None
    delay = float((tries - 1) ** 4 + 15)
    if jitter is not None:
        delay += jitter.uniform(0, 30) * tries
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def classify(status: int | None) -> str:
    """``delivered``, ``retry``, ``dead`` or ``gone`` for an HTTP status (None: network error)."""
    if status is None:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "gone"
    if 400 <= status < 500 and status not in RETRY_STATUSES:
        return "dead"
    return "retry"


def breaker_pause(failures: int) -> float | None:
    """Seconds to pause a host after ``failures`` consecutive failures; None below the threshold."""
    if failures < BREAKER_THRESHOLD:
        return None
    return min(2 ** min(failures - BREAKER_THRESHOLD, 20) * BREAKER_BASE, BREAKER_MAX)


def parse_retry_after(value: str | None, *, moment: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (moment or now())).total_seconds())


@dataclass(frozen=True)
class SigningKey:
    """The key a local actor signs deliveries with."""

    key_id: str
    private_key_pem: str


class SigningKeys:
    """Finds the signing key of a local actor (a group or the instance actor), cached for its lifetime.

    Build one per batch of deliveries, so a rotated key is picked up by the next batch.
    """

    def __init__(self, fed: Federation) -> None:
        self._fed = fed
        self._cache: dict[str, SigningKey | None] = {}

    async def get(self, actor_uri: str) -> SigningKey | None:
        """The key of ``actor_uri``, or None when it is not a local actor with a key."""
        if actor_uri not in self._cache:
            self._cache[actor_uri] = await self._load(actor_uri)
        return self._cache[actor_uri]

    async def _load(self, actor_uri: str) -> SigningKey | None:
        urls = self._fed.urls
        if actor_uri == urls.instance_actor:
            key = await instance_key()
            return SigningKey(urls.instance_key, key.private_key_pem)
        slug = urls.group_slug(actor_uri)
        group = await Group.get_or_none(slug=slug) if slug else None
        if group is None:
            return None
        return SigningKey(urls.group_key(slug), group.private_key_pem)


@dataclass(frozen=True)
class Attempt:
    """What one POST got back: a status (None on a network error), Retry-After and an error excerpt."""

    status: int | None
    retry_after: float | None
    error: str | None


async def post(fed: Federation, delivery: Delivery, key: SigningKey, scheme: str) -> Attempt:
    """POST the delivery's body to its inbox once, freshly signed with ``scheme``."""
    auth = SigningAuth(key.key_id, key.private_key_pem, scheme=scheme)
    try:
        response = await request(
            fed.client, "POST", delivery.inbox, headers={"Content-Type": CONTENT_TYPE},
            content=delivery.body.encode("utf-8"), auth=auth, deadline=DEADLINE,
        )
    except FetchError as exc:
        return Attempt(None, None, exc.reason)
    if 200 <= response.status < 300:
        return Attempt(response.status, None, None)
    excerpt = response.body[:ERROR_EXCERPT * 4].decode("utf-8", "replace")[:ERROR_EXCERPT]
    return Attempt(response.status, parse_retry_after(response.headers.get("retry-after")), excerpt or f"HTTP {response.status}")


async def send(fed: Federation, delivery: Delivery, *, keys: SigningKeys | None = None, rng: random.Random | None = None) -> str:
    """Send one leased delivery, record its outcome on the row and the peer; returns the outcome."""
    key = await (keys or SigningKeys(fed)).get(delivery.actor_uri)
    if key is None:
        await finish(delivery, "dead", last_error=f"no local signing key for {delivery.actor_uri}")
        return "dead"
    peer, _ = await Peer.get_or_create(host=delivery.host)
    scheme = peer.signature_scheme if peer.signature_scheme in SCHEMES else DEFAULT_SCHEME
    attempt = await post(fed, delivery, key, scheme)
    if attempt.status == 401:
        scheme = SCHEMES[1 - SCHEMES.index(scheme)]
        attempt = await post(fed, delivery, key, scheme)
    outcome = classify(attempt.status)
    tries = delivery.tries + 1
    if outcome == "delivered":
        await finish(delivery, "delivered", tries=tries, delivered_at=now(), last_status=attempt.status, last_error=None)
        await record_success(delivery.host, scheme)
        return outcome
    if outcome == "retry":
        await record_failure(delivery.host)
        delay = retry_delay(tries, attempt.retry_after, jitter=rng or random.Random())
        if delay is not None:
            await retry_later(delivery, delay, attempt.error, last_status=attempt.status)
            return outcome
        await finish(delivery, "dead", tries=tries, last_status=attempt.status,
                     last_error=f"gave up after {tries} tries: {attempt.error}")
        return "dead"
    async with in_transaction():
        await finish(delivery, "dead", tries=tries, last_status=attempt.status, last_error=attempt.error)
        if outcome == "gone":
            await mark_inbox_gone(delivery.inbox)
    return outcome


async def record_success(host: str, scheme: str) -> None:
    """A delivery to ``host`` worked with ``scheme``: close its circuit and remember the scheme."""
    await Peer.filter(host=host).update(
        consecutive_failures=0, paused_until=None, last_success_at=now(), signature_scheme=scheme
    )


async def record_failure(host: str) -> Peer:
    """Count a retry-type failure for ``host``; pause it once the breaker threshold is reached."""
    moment = now()
    await Peer.filter(host=host).update(consecutive_failures=F("consecutive_failures") + 1, last_failure_at=moment)
    peer = await Peer.get(host=host)
    pause = breaker_pause(peer.consecutive_failures)
    if pause is not None:
        peer.paused_until = moment + timedelta(seconds=pause)
        await peer.save(update_fields=["paused_until"])
        log.info("pausing deliveries to %s for %.0f s after %d failures", host, pause, peer.consecutive_failures)
    return peer


async def mark_inbox_gone(inbox: str) -> int:
    """The remote actors whose personal inbox is ``inbox`` are gone; end their memberships. Returns how many."""
    actors = await RemoteActor.filter(inbox=inbox).prefetch_related("account")
    for actor in actors:
        if not actor.gone:
            actor.gone = True
            await actor.save(update_fields=["gone"])
        await mark_gone(actor.account)
    return len(actors)


async def paused_hosts() -> list[str]:
    """Hosts whose circuit is open right now (claims skip them)."""
    return await Peer.filter(paused_until__gt=now()).values_list("host", flat=True)


async def probing_hosts(hosts: Iterable[str]) -> set[str]:
    """Among ``hosts``, those past the breaker threshold whose pause has expired: one delivery probes each."""
    wanted = list(set(hosts))
    if not wanted:
        return set()
    rows = await Peer.filter(host__in=wanted, consecutive_failures__gte=BREAKER_THRESHOLD).values_list("host", flat=True)
    return set(rows)


async def is_paused(host: str) -> bool:
    """Whether the circuit of ``host`` is open right now."""
    return await Peer.filter(host=host, paused_until__gt=now()).exists()
