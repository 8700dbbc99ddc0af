"""Tests for federation.delivery: the retry schedule, status classes, enqueueing and one signed send."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from federation.context import Federation, build_federation
from federation.delivery import (
    BREAKER_MAX,
    SigningKeys,
    breaker_pause,
    claim_deliveries,
    classify,
    enqueue,
    host_trouble,
    parse_retry_after,
    peer_schemes,
    record,
    scheme_for,
    transmit,
)
from federation.signatures import inspect_request, verify_claim
from hub.clock import now
from hub.models import Account, Delivery, Group, Membership, Peer, RemoteActor
from hub.services.instance import instance_key
from hub.settings import load_settings
from tests.federation.signatures.fixtures import PRIVATE_PEM, PUBLIC_PEM

SETTINGS = {"HUB_DOMAIN": "127.0.0.1:8123", "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8"}
GROUP_URI = "http://127.0.0.1:8123/groups/climate"
ACTIVITY = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{GROUP_URI}/activities/announce/1",
            "type": "Announce", "actor": GROUP_URI, "object": "https://a.example/notes/1", "content": "café"}
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class Network:
    """A scripted set of remote servers: one handler per host (default 202), every request recorded."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.hosts: dict[str, Handler] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.hosts.get(request.url.host)
        return await handler(request) if handler else httpx.Response(202)

    def answer(self, host: str, status: int, *, headers: dict | None = None, body: bytes = b"") -> None:
        """Make ``host`` answer every request with ``status``."""
        async def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, headers=headers, content=body)
        self.hosts[host] = handler


@pytest.fixture
def network() -> Network:
    """The scripted remote servers."""
    return Network()


@pytest.fixture
async def fed(db, network: Network) -> AsyncIterator[Federation]:
    """A Federation whose client talks to ``network``, with the group ``climate`` signing as GROUP_URI."""
    federation = build_federation(load_settings(SETTINGS), http_transport=httpx.MockTransport(network))
    await Group.create(slug="climate", name="Climate", private_key_pem=PRIVATE_PEM, public_key_pem=PUBLIC_PEM)
    yield federation
    await federation.close()


async def queued(inbox: str, *, actor_uri: str = GROUP_URI) -> Delivery:
    """Enqueue ACTIVITY to one inbox and lease the row, as the worker would."""
    await enqueue(ACTIVITY, actor_uri=actor_uri, inboxes=[inbox])
    rows = await claim_deliveries("test", limit=1)
    assert rows, "the delivery should be due"
    return rows[0]


async def send(fed: Federation, delivery: Delivery) -> str:
    """Send one leased delivery and record its outcome, as the worker does for a batch; the outcome."""
    key = await SigningKeys(fed).get(delivery.actor_uri)
    schemes = await peer_schemes([delivery.host]) if key is not None else {}
    sent = await transmit(fed, delivery, key, scheme_for(schemes.get(delivery.host)))
    (outcome,) = await record(fed, [sent])
    return outcome


def verify(request: httpx.Request, public_pem: str = PUBLIC_PEM) -> str:
    """Check a captured request's signature as a receiving server would; return the key id."""
    claim_ = inspect_request(
        request.method, str(request.url), request.url.raw_path.decode(), request.headers, request.content,
        expected_host=request.url.netloc.decode(),
    )
    return verify_claim(claim_, public_pem).key_id


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "delivered"), (201, "delivered"), (202, "delivered"), (204, "delivered"),
     (None, "retry"), (500, "retry"), (502, "retry"), (503, "retry"), (401, "retry"), (408, "retry"),
     (429, "retry"), (400, "dead"), (403, "dead"), (404, "dead"), (405, "dead"), (413, "dead"),
     (422, "dead"), (410, "gone")],
)
def test_classify(status: int | None, outcome: str) -> None:
    """Statuses map to Mastodon's outcomes: 2xx delivered, 410 gone, 4xx dead except 401/408/429."""
    assert classify(status) == outcome


def test_parse_retry_after() -> None:
    """Retry-After is read as delta-seconds or as an HTTP date; junk is ignored."""
    moment = now()
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = (moment + timedelta(seconds=300)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 298 <= parse_retry_after(date, moment=moment) <= 301


def test_breaker_pause_doubles_from_a_minute_up_to_six_hours() -> None:
    """No pause below 5 failures, then 60 s doubling per failure, never more than 6 h."""
    assert [breaker_pause(n) for n in range(5)] == [None] * 5
    assert [breaker_pause(n) for n in (5, 6, 7)] == [60, 120, 240]
    assert breaker_pause(14) == BREAKER_MAX and breaker_pause(10_000) == BREAKER_MAX


async def test_enqueue_one_compact_row_per_distinct_inbox(db) -> None:
    """Duplicate inboxes are queued once, with the host, the activity id and the compact JSON body."""
    inboxes = ["https://A.example/inbox", "https://b.example:8443/users/x/inbox", "https://A.example/inbox", "::bad"]
    assert await enqueue(ACTIVITY, actor_uri=GROUP_URI, inboxes=inboxes) == 2
    rows = await Delivery.all().order_by("id")
    assert [(r.inbox, r.host) for r in rows] == [
        ("https://A.example/inbox", "a.example"), ("https://b.example:8443/users/x/inbox", "b.example:8443")]
    assert {r.body for r in rows} == {json.dumps(ACTIVITY, separators=(",", ":"), ensure_ascii=False)}
    assert all(r.state == "queued" and r.activity_uri == ACTIVITY["id"] and r.tries == 0 for r in rows)
    assert all(r.next_try_at <= now() for r in rows)


async def test_accepted_delivery_is_signed_and_recorded(fed: Federation, network: Network) -> None:
    """202: the POST carries a verifiable group signature and the row and peer record the success."""
    delivery = await queued("https://a.example/inbox")
    assert await send(fed, delivery) == "delivered"
    (request,) = network.requests
    assert request.method == "POST" and request.headers["content-type"] == "application/activity+json"
    sent = json.loads(request.content)
    assert {k: v for k, v in sent.items() if k != "proof"} == ACTIVITY
    assert sent["proof"]["verificationMethod"] == f"{GROUP_URI}#ed25519-key"  # the group's FEP-8b32 proof
    assert verify(request) == f"{GROUP_URI}#main-key"
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.last_status, row.tries, row.lease_until) == ("delivered", 202, 1, None)
    assert row.delivered_at is not None
    peer = await Peer.get(host="a.example")
    assert peer.consecutive_failures == 0 and peer.last_success_at is not None
    assert peer.signature_scheme == "cavage"


async def test_signing_key_of_the_instance_actor_or_none(fed: Federation, network: Network) -> None:
    """The instance actor signs with the instance key; a row naming no local actor is dead unsent."""
    key = await instance_key()
    delivery = await queued("https://a.example/inbox", actor_uri=fed.urls.instance_actor)
    assert await send(fed, delivery) == "delivered"
    assert verify(network.requests[0], key.public_key_pem) == fed.urls.instance_key
    network.requests.clear()
    delivery = await queued("https://a.example/inbox", actor_uri="http://127.0.0.1:8123/groups/nobody")
    assert await send(fed, delivery) == "dead"
    assert network.requests == []
    row = await Delivery.get(id=delivery.id)
    assert row.state == "dead" and "no local signing key" in row.last_error


async def test_server_error_is_retried_later(fed: Federation, network: Network) -> None:
    """500: queued with one try, due later, lease released, a peer failure; 429's Retry-After sets the delay."""
    network.answer("a.example", 500, body=b"oops")
    delivery = await queued("https://a.example/inbox")
    before = now()
    assert await send(fed, delivery) == "retry"
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.tries, row.last_status, row.lease_until) == ("queued", 1, 500, None)
    assert row.next_try_at >= before + timedelta(seconds=15) and row.last_error == "oops"
    peer = await Peer.get(host="a.example")
    assert peer.consecutive_failures == 1 and peer.last_failure_at is not None and peer.paused_until is None
    # With Retry-After: 3600, the next try is in an hour, not in 15 s.
    network.answer("b.example", 429, headers={"Retry-After": "3600"})
    delivery = await queued("https://b.example/inbox")
    assert await send(fed, delivery) == "retry"
    assert (await Delivery.get(id=delivery.id)).next_try_at >= now() + timedelta(seconds=3590)


async def test_exhausted_schedule_is_dead(fed: Federation, network: Network) -> None:
    """A failure after the last scheduled retry gives up: dead, with the reason."""
    network.answer("a.example", 503)
    delivery = await queued("https://a.example/inbox")
    delivery.tries = 16
    assert await send(fed, delivery) == "dead"
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.tries, row.last_status) == ("dead", 17, 503)
    assert row.last_error.startswith("gave up after 17 tries")


async def test_client_error_is_dead_with_a_body_excerpt(fed: Federation, network: Network) -> None:
    """404: dead at once, keeping the status and the first 300 characters of the body."""
    network.answer("a.example", 404, body=b"x" * 5000)
    delivery = await queued("https://a.example/inbox")
    assert await send(fed, delivery) == "dead"
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.last_status, row.last_error) == ("dead", 404, "x" * 300)
    assert (await Peer.get(host="a.example")).consecutive_failures == 0


async def test_network_error_is_retried(fed: Federation, network: Network) -> None:
    """A refused connection is a retry with no status and the error kept."""
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)
    network.hosts["a.example"] = refuse
    delivery = await queued("https://a.example/inbox")
    assert await send(fed, delivery) == "retry"
    row = await Delivery.get(id=delivery.id)
    assert (row.state, row.tries, row.last_status) == ("queued", 1, None)
    assert "connection refused" in row.last_error


async def test_double_knock_switches_to_rfc9421_and_remembers_it(fed: Federation, network: Network) -> None:
    """401 to cavage, 202 to RFC 9421: delivered and rfc9421 remembered; 401 to both: a retry."""
    async def rfc9421_only(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202 if "signature-input" in request.headers else 401)
    network.hosts["a.example"] = rfc9421_only
    delivery = await queued("https://a.example/inbox")
    assert await send(fed, delivery) == "delivered"
    assert ["signature-input" in r.headers for r in network.requests] == [False, True]
    assert verify(network.requests[1]) == f"{GROUP_URI}#main-key"
    assert (await Peer.get(host="a.example")).signature_scheme == "rfc9421"
    # When the next delivery goes to the same host, it starts with the remembered scheme.
    network.requests.clear()
    assert await send(fed, await queued("https://a.example/other-inbox")) == "delivered"
    assert ["signature-input" in r.headers for r in network.requests] == [True]
    # A server refusing both schemes is a retry, and no scheme is remembered for it.
    network.answer("b.example", 401)
    network.requests.clear()
    assert await send(fed, await queued("https://b.example/inbox")) == "retry"
    assert len(network.requests) == 2
    assert (await Peer.get(host="b.example")).signature_scheme is None


async def remote_member(inbox: str, shared_inbox: str | None = None) -> tuple[Account, Membership, RemoteActor]:
    """A remote account that is an accepted member of ``climate``."""
    peer, _ = await Peer.get_or_create(host="a.example")
    account = await Account.create(uri="https://a.example/users/bob", handle="bob@a.example")
    actor = await RemoteActor.create(
        account=account, peer=peer, uri=account.uri, actor_type="Person", inbox=inbox,
        shared_inbox=shared_inbox, fetched_at=now(),
    )
    group = await Group.get(slug="climate")
    membership = await Membership.create(group=group, account=account, state="accepted")
    return account, membership, actor


async def test_gone_personal_inbox_ends_the_membership(fed: Federation, network: Network) -> None:
    """410 from a member's personal inbox: dead, actor and membership gone; from a shared inbox: nobody ends."""
    network.answer("a.example", 410)
    _, membership, actor = await remote_member("https://a.example/users/bob/inbox", "https://a.example/inbox")
    # A 410 from the shared inbox says nothing about any one actor.
    assert await send(fed, await queued("https://a.example/inbox")) == "gone"
    assert (await RemoteActor.get(id=actor.id)).gone is False
    assert (await Membership.get(id=membership.id)).state == "accepted"
    delivery = await queued("https://a.example/users/bob/inbox")
    assert await send(fed, delivery) == "gone"
    assert (await Delivery.get(id=delivery.id)).state == "dead"
    assert (await RemoteActor.get(id=actor.id)).gone is True
    assert (await Membership.get(id=membership.id)).state == "gone"


async def test_five_failures_open_the_circuit_and_claims_skip_the_host(fed: Federation, network: Network) -> None:
    """After 5 consecutive failures the host is paused for a minute and its due rows are not claimed."""
    network.answer("down.example", 503)
    for n in range(5):
        assert await send(fed, await queued(f"https://down.example/u{n}/inbox")) == "retry"
    peer = await Peer.get(host="down.example")
    assert peer.consecutive_failures == 5
    assert now() + timedelta(seconds=50) < peer.paused_until <= now() + timedelta(seconds=61)
    paused, _probing = await host_trouble()
    assert paused == {"down.example"}
    await enqueue(ACTIVITY, actor_uri=GROUP_URI, inboxes=["https://down.example/inbox", "https://up.example/inbox"])
    rows = await claim_deliveries("test", limit=10, exclude_hosts=paused)
    assert [r.host for r in rows] == ["up.example"]
    # A success closes the circuit again.
    network.answer("down.example", 202)
    await Peer.filter(host="down.example").update(paused_until=now() - timedelta(seconds=1))
    assert await send(fed, (await claim_deliveries("test", limit=1))[0]) == "delivered"
    peer = await Peer.get(host="down.example")
    assert (peer.consecutive_failures, peer.paused_until) == (0, None)


async def test_outcomes_are_recorded_again_after_the_database_failed_mid_write(
    fed: Federation, network: Network, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write that breaks (PostgreSQL restarting) leaves the rows as they were in memory: the same results are
    recorded on the next try, each counted once (a restarted server refused them forever before: delivered to
    delivered)."""
    import federation.delivery as delivery_module

    network.answer("b.example", 500)
    rows = [await queued("https://a.example/inbox"), await queued("https://b.example/inbox")]
    await peer_schemes(["a.example", "b.example"])
    results = [await transmit(fed, row, await SigningKeys(fed).get(row.actor_uri), "cavage") for row in rows]
    real_failed = delivery_module._record_failed

    async def broken(sent, rng):
        raise ConnectionError("the database system is shutting down")

    monkeypatch.setattr(delivery_module, "_record_failed", broken)
    with pytest.raises(ConnectionError):
        await record(fed, results)  # the delivered row was written, the failed one was not
    assert [(row.state, row.tries) for row in rows] == [("queued", 0), ("queued", 0)]
    monkeypatch.setattr(delivery_module, "_record_failed", real_failed)
    assert await record(fed, results) == ["delivered", "retry"]
    stored = {row.host: (row.state, row.tries) for row in await Delivery.all()}
    assert stored == {"a.example": ("delivered", 1), "b.example": ("queued", 1)}


async def test_concurrent_delivery_claims_never_share_a_row(fed: Federation, database_backend: str) -> None:
    """On PostgreSQL two workers claiming deliveries at once (each claim its own transaction, candidates locked with
    FOR UPDATE SKIP LOCKED) never lease the same row, and each row claimed is leased to its claimer (20 rounds)."""
    if database_backend != "postgres":
        pytest.skip("row locking needs PostgreSQL; SQLite runs one worker")
    for round_no in range(20):
        await Delivery.all().delete()
        await enqueue({**ACTIVITY, "id": f"{GROUP_URI}/activities/announce/r{round_no}"}, actor_uri=GROUP_URI,
                      inboxes=[f"https://h{n}.example/inbox" for n in range(50)])
        first, second = await asyncio.gather(claim_deliveries("w1", limit=20), claim_deliveries("w2", limit=20))
        assert first or second, f"round {round_no}: nothing claimed"
        assert not {r.id for r in first} & {r.id for r in second}, f"round {round_no}: a row leased to both"
        for owner, rows in (("w1", first), ("w2", second)):
            stored = await Delivery.filter(id__in=[r.id for r in rows]).values_list("lease_owner", flat=True)
            assert set(stored) <= {owner} and all(r.lease_owner == owner and r.lease_until is not None for r in rows)
