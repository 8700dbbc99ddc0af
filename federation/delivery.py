"""Outgoing deliveries: one queued row per inbox, the retry schedule, and one signed POST per try.

Producers call :func:`enqueue` inside the transaction of the event they handle (delivery is a
queue, not a call). The worker leases due rows with :func:`claim_deliveries` (at most so many per
host, fresh rows first and retries capped to their share of the slots, so retries cannot crowd
fresh rows out), sends each with :func:`transmit` — signed afresh, "double-knocking" between
signature schemes on 401 — and writes the outcomes of many sends at once with :func:`record`:
delivered rows and their peers' health in a few bulk UPDATEs, failures one by one. Consecutive failures open a per-host circuit breaker (``Peer.paused_until``)
during which claims skip the host; when the pause has expired the worker lets one delivery probe it.

Outcomes:

- ``delivered``: 2xx;
- ``retry``: network error, 5xx, 401, 408, 429 (and other non-2xx that are not 4xx); requeued by the
  delivery lifecycle's retry rules (hub.lifecycle.DELIVERY_RETRIES, applied by hub.queue.failed_try),
  or ``dead`` once its schedule is exhausted;
- ``dead``: any other 4xx, an exhausted schedule, or no local key for the signing actor — the
  dead-letter state, listed by ``hub deliveries --dead`` and the admin's health page, re-queued by
  ``hub deliveries --retry-dead``;
- ``gone``: 410 — the row is dead, and if the inbox is a remote actor's personal inbox that actor
  is marked gone and its memberships end.

Every outcome is counted in ``fed.metrics`` and logged as ``key=value`` fields (``delivery
outcome=retry id=… host=… status=… tries=… retry_in=…``): delivered at DEBUG, retries at INFO,
dead letters at WARNING.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.errors import FetchError, OriginError, SignatureError, UnsafeAddressError
from federation.fetch import host_of
from federation.integrity import with_proofs
from federation.net import request
from federation.signatures import SigningAuth, sign_cavage, sign_rfc9421
from hub import rows
from hub.clock import now
from hub.models import Delivery, Group, Peer, RemoteActor
from hub.queue import ACTIVE_STATE, failed_try, finish, move
from hub.services import blocks
from hub.services.instance import instance_key
from hub.services.members import mark_gone

log = logging.getLogger("causeway.delivery")

CONTENT_TYPE = "application/activity+json"
SCHEMES = ("cavage", "rfc9421")
DEFAULT_SCHEME = "cavage"
DEADLINE = 10.0
"""Seconds one POST may take, connect to last byte (a double knock may take two)."""
BREAKER_THRESHOLD = 5
"""Consecutive retry-type failures after which a host is paused."""
BREAKER_BASE = 60.0
BREAKER_MAX = 6 * 3600.0
ERROR_EXCERPT = 300
RETRY_STATUSES = frozenset({401, 408, 429})
CANDIDATES_PER_SLOT = 2
"""A claim looks at this many due rows per wanted row, to fill its slots despite per-host caps."""
BREAKERS_MAX_AGE = 1.0
"""Seconds a worker reuses its reading of the circuit breakers (its own failures make it read again at once)."""
KEYS_MAX_AGE = 60.0
"""Seconds a worker reuses the local actors' signing keys it loaded."""
CHUNK = 500
"""Ids per ``IN (…)`` list in bulk statements (SQLite allows a limited number of variables)."""


def serialise(activity: dict) -> str:
    """The compact JSON sent for ``activity`` (serialised once, sent unchanged on every try)."""
    return json.dumps(activity, separators=(",", ":"), ensure_ascii=False)


async def enqueue(activity: dict, *, actor_uri: str, inboxes: Iterable[str], priority_hint: str | None = None) -> int:
    """Queue one delivery of ``activity`` signed by ``actor_uri`` per distinct inbox; returns how many.

    A local group's activity gets its FEP-8b32 proofs here, once for all its inboxes (federation.integrity).

    Call it inside the transaction that handles the event. Inboxes whose URL cannot be parsed are
    skipped (logged): they could never be delivered; so are inboxes on a domain the instance blocks
    (or a subdomain of one): nothing is ever queued for a blocked server. ``priority_hint`` is accepted for callers that
    know one but not used yet: the worker claims fresh rows apart from retries, so fresh deliveries
    are never held up behind retries.
    """
    body = serialise(await with_proofs(activity, actor_uri))
    return await enqueue_body(body, activity_uri=activity["id"], actor_uri=actor_uri, inboxes=inboxes)


async def enqueue_body(body: str, *, activity_uri: str, actor_uri: str, inboxes: Iterable[str]) -> int:
    """Queue ``body`` exactly as given, signed by ``actor_uri``, once per distinct inbox (rules of :func:`enqueue`).

    For activities passed on unchanged (inbox forwarding): the author's Linked Data signature covers
    the document, and the bytes are the ones the author's server sent.
    """
    moment = now()
    targets: list[tuple[str, str]] = []
    blocked = frozenset(await Peer.filter(blocked=True).values_list("host", flat=True))
    for inbox in dict.fromkeys(inboxes):
        try:
            host = host_of(inbox)
        except OriginError as exc:
            log.warning("not delivering %s to %r: %s", activity_uri, inbox, exc.reason)
            continue
        if blocked and blocks.is_covered(host, blocked):
            log.info("not delivering %s to %s: the instance blocks its domain", activity_uri, host)
            continue
        targets.append((inbox, host))
    if targets:
        await _insert_queued(targets, actor_uri=actor_uri, activity_uri=activity_uri, body=body, moment=moment)
    return len(targets)


_DELIVERY_COLUMNS = ("inbox", "host", "actor_uri", "activity_uri", "body", "state", "tries", "next_try_at", "created_at")


async def _insert_queued(targets: list[tuple[str, str]], *, actor_uri: str, activity_uri: str, body: str, moment: datetime) -> None:
    """Queued deliveries of one body to (inbox, host) pairs, by one prepared INSERT run for every row.

    Plain SQL rather than ``bulk_create``: a model object per row cost more than the INSERT (a fan-out
    to 10,000 instances, bench/RESULTS.md), as in hub.intake.
    """
    connection = connections.get(Delivery._meta.default_connection)
    when = rows.stored(Delivery, "next_try_at", moment)
    if connection.capabilities.dialect == "postgres":
        marks = ", ".join(f"${n}" for n in range(1, len(_DELIVERY_COLUMNS) + 1))
    else:
        marks = ", ".join("?" for _ in _DELIVERY_COLUMNS)
    statement = f"INSERT INTO {Delivery._meta.db_table} ({', '.join(_DELIVERY_COLUMNS)}) VALUES ({marks})"
    for chunk in _chunks(targets, 5000):
        await connection.execute_many(statement, [[inbox, host, actor_uri, activity_uri, body, "queued", 0, when, when]
                                                  for inbox, host in chunk])


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
    """Finds the signing key of a local actor (a group or the instance actor), cached ``max_age`` seconds.

    A worker keeps one (KEYS_MAX_AGE): a rotated key signs from the next load on. Without
    ``max_age`` the cache lasts as long as the object (one per batch of deliveries).
    """

    def __init__(self, fed: Federation, *, max_age: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._fed = fed
        self._max_age = max_age
        self._clock = clock
        self._cache: dict[str, tuple[float, SigningKey | None]] = {}

    async def get(self, actor_uri: str) -> SigningKey | None:
        """The key of ``actor_uri``, or None when it is not a local actor with a key."""
        moment = self._clock()
        cached = self._cache.get(actor_uri)
        if cached is None or (self._max_age is not None and moment - cached[0] >= self._max_age):
            cached = self._cache[actor_uri] = (moment, await self._load(actor_uri))
        return cached[1]

    async def _load(self, actor_uri: str) -> SigningKey | None:
        urls = self._fed.urls
        if actor_uri in (urls.instance_actor, urls.notices_actor):
            key = await instance_key()
            return SigningKey(urls.instance_key if actor_uri == urls.instance_actor else urls.notices_key, key.private_key_pem)
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
    unsafe: bool = False
    """The address guard refused the inbox (private, loopback, reserved): a retry cannot help."""


def sign_post(delivery: Delivery, key: SigningKey, scheme: str) -> dict[str, str]:
    """The headers of the delivery's POST, signed with ``scheme``; FetchError when the key cannot sign."""
    signer = sign_cavage if scheme == "cavage" else sign_rfc9421
    try:
        return signer("POST", delivery.inbox, {"Content-Type": CONTENT_TYPE}, delivery.body.encode("utf-8"), key.key_id,
                      key.private_key_pem)
    except SignatureError as exc:
        raise FetchError(f"cannot sign for {delivery.inbox!r}: {exc.reason}") from None


def sign_posts(sends: Sequence[tuple[Delivery, SigningKey | None, str]]) -> list[dict[str, str] | None]:
    """:func:`sign_post` for many sends at once (on a signing thread: federation.signing_threads); None where
    there is no key or it cannot sign (:func:`transmit` then signs again and reports why)."""
    signed: list[dict[str, str] | None] = []
    for delivery, key, scheme in sends:
        try:
            signed.append(None if key is None else sign_post(delivery, key, scheme))
        except FetchError:
            signed.append(None)
    return signed


async def post(fed: Federation, delivery: Delivery, key: SigningKey, scheme: str,
               signed: Mapping[str, str] | None = None) -> Attempt:
    """POST the delivery's body to its inbox once, freshly signed with ``scheme`` (or with the ``signed`` headers).

    Through the client's httpx-free path when it has one (``client.direct``, the real network),
    else through httpx (an injected transport in tests); both sign the same headers.
    """
    body = delivery.body.encode("utf-8")
    direct = getattr(fed.client, "direct", None)
    try:
        if direct is not None:
            headers = signed or sign_post(delivery, key, scheme)
            response = await direct.post(delivery.inbox, headers=headers, body=body, deadline=DEADLINE)
        else:
            auth = SigningAuth(key.key_id, key.private_key_pem, scheme=scheme)
            response = await request(fed.client, "POST", delivery.inbox, headers={"Content-Type": CONTENT_TYPE},
                                     content=body, auth=auth, deadline=DEADLINE)
    except UnsafeAddressError as exc:
        return Attempt(None, None, exc.reason, unsafe=True)
    except FetchError as exc:
        return Attempt(None, None, exc.reason)
    if 200 <= response.status < 300:
        return Attempt(response.status, None, None)
    excerpt = response.body[:ERROR_EXCERPT * 4].decode("utf-8", "replace")[:ERROR_EXCERPT]
    return Attempt(response.status, parse_retry_after(response.headers.get("retry-after")), excerpt or f"HTTP {response.status}")


@dataclass(frozen=True)
class Sent:
    """What sending one delivery came to, before it is recorded: outcome, status, scheme used, duration."""

    delivery: Delivery
    outcome: str
    status: int | None
    retry_after: float | None
    error: str | None
    scheme: str
    seconds: float = 0.0


def scheme_for(remembered: str | None) -> str:
    """The signature scheme to try first with a peer: the one that worked last, else cavage."""
    return remembered if remembered in SCHEMES else DEFAULT_SCHEME


async def transmit(fed: Federation, delivery: Delivery, key: SigningKey | None, scheme: str,
                   signed: Mapping[str, str] | None = None) -> Sent:
    """POST one leased delivery (a second knock with the other scheme on 401); touches no database row.

    ``signed``: its headers signed beforehand with ``scheme`` (:func:`sign_posts`); else it is signed here.
    """
    if key is None:
        return Sent(delivery, "dead", None, None, f"no local signing key for {delivery.actor_uri}", scheme)
    started = time.perf_counter()
    attempt = await post(fed, delivery, key, scheme, signed)
    if attempt.unsafe:
        return Sent(delivery, "dead", None, None, f"refused as unsafe: {attempt.error}", scheme, time.perf_counter() - started)
    if attempt.status == 401:
        scheme = SCHEMES[1 - SCHEMES.index(scheme)]
        attempt = await post(fed, delivery, key, scheme)
    return Sent(delivery, classify(attempt.status), attempt.status, attempt.retry_after, attempt.error, scheme,
                time.perf_counter() - started)


async def record(fed: Federation, results: Sequence[Sent], *, rng: random.Random | None = None) -> list[str]:
    """Write the outcomes of sends; returns the final outcome of each (a retry past the schedule is dead).

    Delivered rows are finished with one UPDATE per status and their peers marked healthy with one
    UPDATE per scheme; failures are written row by row (they are few, and each has its own delay).
    """
    outcomes: dict[int, str] = {}
    delivered = [sent for sent in results if sent.outcome == "delivered"]
    before = [_snapshot(sent.delivery) for sent in results]
    try:
        if delivered:
            await _record_delivered(delivered)
            outcomes.update((sent.delivery.id, "delivered") for sent in delivered)
        for sent in results:
            if sent.outcome != "delivered":
                outcomes[sent.delivery.id] = await _record_failed(sent, rng or random.Random())
    except BaseException:
        # The database went away mid-write: the rows in memory go back to what they were, so the same
        # results can be recorded again once it is back (the writes are conditional on the active state).
        for sent, fields in zip(results, before):
            for name, value in fields.items():
                setattr(sent.delivery, name, value)
        raise
    final = [outcomes[sent.delivery.id] for sent in results]
    for sent, outcome in zip(results, final):
        fed.metrics.deliveries.inc(outcome=outcome)
        if outcome == "delivered" and log.isEnabledFor(logging.DEBUG):
            log.debug("delivery outcome=delivered id=%s host=%s status=%s ms=%.0f scheme=%s",
                      sent.delivery.id, sent.delivery.host, sent.status, sent.seconds * 1000, sent.scheme)
    return final


_RECORDED_FIELDS = ("state", "tries", "delivered_at", "last_status", "last_error", "lease_until", "next_try_at")


def _snapshot(row: Delivery) -> dict[str, object]:
    return {name: getattr(row, name) for name in _RECORDED_FIELDS}


async def _record_delivered(results: Sequence[Sent]) -> None:
    moment = now()
    by_status: dict[int | None, list[int]] = defaultdict(list)
    by_scheme: dict[str, set[str]] = defaultdict(set)
    for sent in results:
        by_status[sent.status].append(sent.delivery.id)
        by_scheme[sent.scheme].add(sent.delivery.host)
        row = sent.delivery
        move(row, "delivered")
        row.tries, row.delivered_at, row.last_status = row.tries + 1, moment, sent.status
        row.last_error, row.lease_until = None, None
    stamp = rows.stored(Delivery, "next_try_at", moment)
    async with in_transaction():
        # Plain SQL (hub.rows), as the claim: written every few dozen sends of a fan-out.
        for status, ids in by_status.items():
            for chunk in _chunks(ids):
                # Only rows still active: a write whose commit was applied but not acknowledged is not counted twice.
                await rows.write(_finish_delivered(len(chunk)), [stamp, status, ACTIVE_STATE[Delivery], *chunk])
        for scheme, hosts in by_scheme.items():
            for chunk in _chunks(sorted(hosts)):
                await rows.write(_peers_healthy(len(chunk)), [stamp, scheme, *chunk])


@functools.lru_cache(maxsize=64)
def _schemes(count: int) -> str:
    return f"SELECT host, signature_scheme FROM peers WHERE host IN ({rows.marks(count)})"


@functools.lru_cache(maxsize=64)
def _finish_delivered(count: int) -> str:
    return ("UPDATE deliveries SET state = 'delivered', tries = tries + 1, delivered_at = ?, last_status = ?, "
            f"last_error = NULL, lease_until = NULL WHERE state = ? AND id IN ({rows.marks(count)})")


@functools.lru_cache(maxsize=64)
def _peers_healthy(count: int) -> str:
    return ("UPDATE peers SET consecutive_failures = 0, paused_until = NULL, last_success_at = ?, signature_scheme = ? "
            f"WHERE host IN ({rows.marks(count)})")


async def _record_failed(sent: Sent, rng: random.Random) -> str:
    delivery = sent.delivery
    tries = delivery.tries + 1
    if sent.outcome == "retry":
        peer = await record_failure(delivery.host)
        delay = await failed_try(delivery, sent.error or "", retry_after=sent.retry_after, jitter=rng, last_status=sent.status)
        if delay is not None:
            log.info("delivery outcome=retry id=%s host=%s status=%s tries=%d retry_in=%.0fs host_failures=%d error=%r",
                     delivery.id, delivery.host, sent.status, tries, delay, peer.consecutive_failures, sent.error)
            return "retry"
        log.warning("delivery outcome=dead id=%s host=%s status=%s tries=%d error=%r",
                    delivery.id, delivery.host, sent.status, tries, delivery.last_error)
        return "dead"
    async with in_transaction():
        await finish(delivery, "dead", tries=tries, last_status=sent.status, last_error=sent.error)
        gone = await mark_inbox_gone(delivery.inbox) if sent.outcome == "gone" else 0
    log.warning("delivery outcome=%s id=%s host=%s status=%s tries=%d actors_gone=%d error=%r",
                sent.outcome, delivery.id, delivery.host, sent.status, tries, gone, sent.error)
    return sent.outcome


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def peer_schemes(hosts: Iterable[str]) -> dict[str, str | None]:
    """The signature scheme remembered for each host (None: not known yet), creating missing Peer rows.

    Plain values rather than Peer objects: a fan-out asks this for hundreds of hosts at a time.
    Concurrent creators of the same Peer are ignored.
    """
    wanted = sorted(set(hosts))
    schemes: dict[str, str | None] = {}
    for chunk in _chunks(wanted):
        schemes.update((host, scheme) for host, scheme in await rows.select(_schemes(len(chunk)), chunk))
    missing = [host for host in wanted if host not in schemes]
    if missing:
        await Peer.bulk_create([Peer(host=host) for host in missing], ignore_conflicts=True)
        schemes.update((host, None) for host in missing)
    return schemes


async def claim_deliveries(
    owner: str, *, limit: int, lease_seconds: float = 60.0, exclude_hosts: Iterable[str] = (),
    per_host: int | None = None, room: Mapping[str, int] | None = None, retry_limit: int | None = None,
) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries to ``owner``: fewest tries first (fresh rows before
    retries, at most ``retry_limit`` retries), then oldest due, at most ``room[host]`` per host.

    ``room`` gives the free places of hosts already busy (default ``per_host``; None: no cap). Like
    :func:`hub.queue.claim`, the candidate rows are locked with ``FOR UPDATE SKIP LOCKED``
    (PostgreSQL), so concurrent workers never lease the same row; candidates left out by a host's
    cap or the retry limit are unlocked at commit, unleased.
    """
    if limit < 1:
        return []
    moment = now()
    room = room or {}
    excluded = sorted(set(exclude_hosts) | {host for host, free in room.items() if free <= 0})
    stamp = rows.stored(Delivery, "next_try_at", moment)
    async with in_transaction():
        # Plain SQL (hub.rows): the claim runs every few sends of a fan-out, and the ORM spent more CPU
        # composing its three statements than the database took to run them.
        candidates = await rows.select(_candidates(len(excluded), rows.on_postgres()),
                                       [stamp, stamp, *excluded, limit * CANDIDATES_PER_SLOT])
        taken: Counter[str] = Counter()
        ids: list[int] = []
        retries = 0
        for row_id, host, tries in candidates:
            cap = room.get(host, per_host)
            if tries and retry_limit is not None and retries >= retry_limit:
                continue
            if cap is None or taken[host] < cap:
                taken[host] += 1
                retries += 1 if tries else 0
                ids.append(row_id)
                if len(ids) == limit:
                    break
        if not ids:
            return []
        until = rows.stored(Delivery, "lease_until", moment + timedelta(seconds=lease_seconds))
        leased = await rows.returning(_lease(len(ids)), [until, owner, *ids])
    by_id = {row["d__id"]: row for row in leased}
    return [rows.build(Delivery, by_id[row_id], "d") for row_id in ids]


@functools.lru_cache(maxsize=64)
def _candidates(excluded: int, postgres: bool) -> str:
    """Due, unleased rows (id, host, tries), fewest tries first, then oldest due; locked, skipping locked ones, on PostgreSQL.

    Tuples rather than model objects: most candidates are looked at, not taken.
    """
    skip = f" AND host NOT IN ({rows.marks(excluded)})" if excluded else ""
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    return ("SELECT id, host, tries FROM deliveries WHERE state = 'queued' AND next_try_at <= ? "
            f"AND (lease_until IS NULL OR lease_until < ?){skip} ORDER BY tries, next_try_at, id LIMIT ?{lock}")


@functools.lru_cache(maxsize=256)
def _lease(count: int) -> str:
    """Lease ``count`` rows to an owner until a time; the leased rows, every column named as hub.rows.build reads them under ``d``."""
    return (f"UPDATE deliveries SET lease_until = ?, lease_owner = ? WHERE id IN ({rows.marks(count)}) "
            f"RETURNING {rows.returned_columns(Delivery, 'd')}")


class Breakers:
    """The circuit breakers as a worker sees them: read at most every ``seconds``, and again at once
    after :meth:`forget` (the worker forgets after its own failures, which may open a circuit)."""

    def __init__(self, seconds: float = BREAKERS_MAX_AGE, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._reading: tuple[float, tuple[set[str], set[str]]] | None = None

    async def read(self) -> tuple[set[str], set[str]]:
        """(paused, probing) hosts, as :func:`host_trouble` gives them."""
        moment = self._clock()
        if self._reading is None or moment - self._reading[0] >= self.seconds:
            self._reading = (moment, await host_trouble())
        return self._reading[1]

    def forget(self) -> None:
        """Read the database again next time."""
        self._reading = None


async def host_trouble() -> tuple[set[str], set[str]]:
    """(paused, probing): hosts whose circuit is open now, and hosts past the threshold whose pause expired."""
    moment = now()
    found = await Peer.filter(Q(consecutive_failures__gte=BREAKER_THRESHOLD) | Q(paused_until__gt=moment)).values_list(
        "host", "paused_until")
    paused = {host for host, until in found if until is not None and until > moment}
    return paused, {host for host, _ in found} - paused


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
