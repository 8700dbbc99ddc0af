"""Tests for federation.metrics and GET /metrics: the exposition format, counters by outcome and reason, gauges."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from federation.errors import KeyFetchError, SignatureError
from federation.metrics import SIGNATURE_REASONS, Metrics, gauge_lines, signature_failure_reason
from hub.clock import now
from hub.models import Delivery, InboxItem, Peer, Post
from tests.federation.harness import PUBLIC, SignOptions, running_hub


def parse(exposition: str) -> dict[str, float]:
    """``{'name{labels}': value}`` for every sample line; checks each metric has HELP and TYPE first."""
    samples: dict[str, float] = {}
    declared: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
        elif line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            assert name.split("{", 1)[0] in declared, f"{name} has no TYPE line before it"
            samples[name] = float(value)
    return samples


@pytest.mark.parametrize(("reason", "expected"), [
    ("request is not signed", "unsigned"),
    ("signature does not verify", "invalid"),
    ("Digest does not match the body", "digest"),
    ("Content-Digest header is missing", "digest"),
    ("Date outside the accepted window", "time"),
    ("signature has expired", "time"),
    ("signed host is not this server", "host"),
    ("host is not signed", "host"),
    ("the request is signed by another actor than the activity's", "actor_mismatch"),
    ("unsupported signature algorithm", "algorithm"),
    ("keyId is not an http(s) URL", "key"),
    ("malformed Signature header", "malformed"),
])
def test_signature_failures_fall_into_a_fixed_set_of_reasons(reason: str, expected: str) -> None:
    """Free-text reasons map to a few label values, so the label cannot grow without bound."""
    assert signature_failure_reason(SignatureError(reason)) == expected
    assert expected in SIGNATURE_REASONS


def test_key_fetch_errors_are_key_failures_whatever_their_text() -> None:
    """A key that could not be fetched counts as ``key`` even when its reason names a URL."""
    assert signature_failure_reason(KeyFetchError("could not fetch the key https://x.example/k: HTTP 500")) == "key"


def test_exposition_has_help_type_and_escaped_labels() -> None:
    """Counters start at zero for every known label, add up, and render in the text format."""
    metrics = Metrics()
    metrics.deliveries.inc(outcome="delivered")
    metrics.deliveries.inc(2, outcome="delivered")
    metrics.inbox_processed.inc(state='we"ird\\')
    text = metrics.render([gauge_lines("causeway_x", "A gauge.", 1.5), gauge_lines("causeway_y", "Labelled.", {(("a", "b"),): 2})])
    samples = parse(text)
    assert samples['causeway_delivery_attempts_total{outcome="delivered"}'] == 3
    assert samples['causeway_delivery_attempts_total{outcome="dead"}'] == 0
    assert samples['causeway_inbox_signature_failures_total{reason="digest"}'] == 0
    assert samples['causeway_inbox_processed_total{state="we\\"ird\\\\"}'] == 1
    assert samples["causeway_x"] == 1.5 and samples['causeway_y{a="b"}'] == 2
    assert "# HELP causeway_delivery_attempts_total " in text and text.endswith("\n")


async def test_metrics_endpoint_counts_inbox_results_and_signature_failures(database_url: str, tmp_path: Path) -> None:
    """Stored, duplicate and refused POSTs, refusals by reason, and the queue gauges read from the database."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        alice = hub.world.person("alice")
        await hub.member(alice)
        note = {"id": f"{alice.id}/notes/1", "type": "Note", "attributedTo": alice.id, "to": [PUBLIC, hub.group_id()],
                "content": "<p>hello</p>"}
        create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{alice.id}/create/1", "type": "Create",
                  "actor": alice.id, "to": [PUBLIC, hub.group_id()], "object": note}
        # Given one good POST, its repeat, a tampered digest and an unsigned POST,
        assert (await hub.signed_post(hub.inbox(), create, alice)).status_code == 202
        assert (await hub.signed_post(hub.inbox(), create, alice)).status_code == 202
        assert (await hub.signed_post(hub.inbox(), create, alice, sign=SignOptions(digest="SHA-256=AAAA"))).status_code == 401
        assert (await hub.signed_post(hub.inbox(), create, alice, sign=SignOptions(unsigned=True))).status_code == 401
        # and a queue with one due delivery that has waited a minute and one dead letter,
        await Delivery.create(inbox="https://x.example/inbox", host="x.example", actor_uri=hub.group_id(), activity_uri="a",
                              body="{}", next_try_at=now() - timedelta(seconds=60))
        await Delivery.create(inbox="https://y.example/inbox", host="y.example", actor_uri=hub.group_id(), activity_uri="a",
                              body="{}", next_try_at=now(), state="dead")
        await Peer.create(host="z.example", consecutive_failures=6, paused_until=now() + timedelta(minutes=5))
        # when /metrics is scraped,
        response = await hub.get("/metrics")
        # then the counters and gauges say so.
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = parse(response.text)
        assert samples['causeway_inbox_requests_total{result="stored"}'] == 1
        assert samples['causeway_inbox_requests_total{result="duplicate"}'] == 1
        assert samples['causeway_inbox_requests_total{result="refused"}'] == 2
        assert samples['causeway_inbox_signature_failures_total{reason="digest"}'] == 1
        assert samples['causeway_inbox_signature_failures_total{reason="unsigned"}'] == 1
        assert samples["causeway_inbox_queue_depth"] == 1
        assert samples["causeway_delivery_queue_depth"] == 1 and samples["causeway_delivery_due"] == 1
        assert 59 <= samples["causeway_delivery_oldest_due_age_seconds"] < 120
        assert samples["causeway_deliveries_dead"] == 1 and samples["causeway_peers_paused"] == 1
        # After the worker ran, processed items and delivery attempts are counted too.
        await hub.drain()
        samples = parse((await hub.get("/metrics")).text)
        assert samples['causeway_inbox_processed_total{state="done"}'] == 1
        assert samples["causeway_inbox_queue_depth"] == 0


async def test_the_same_activity_posted_twice_at_once_is_processed_once(database_url: str, tmp_path: Path) -> None:
    """Two servers delivering one activity at the same moment: both get 202, one item is stored and processed."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        alice = hub.world.person("alice")
        await hub.member(alice)
        note = {"id": f"{alice.id}/notes/2", "type": "Note", "attributedTo": alice.id, "to": [PUBLIC, hub.group_id()],
                "content": "<p>twice</p>"}
        create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{alice.id}/create/2", "type": "Create",
                  "actor": alice.id, "to": [PUBLIC, hub.group_id()], "object": note}
        responses = await asyncio.gather(*(hub.signed_post(hub.inbox(), create, alice) for _ in range(2)))
        assert [r.status_code for r in responses] == [202, 202]
        assert await InboxItem.filter(activity_uri=create["id"]).count() == 1
        await hub.drain()
        assert await Post.filter(uri=note["id"]).count() == 1
        samples = parse((await hub.get("/metrics")).text)
        assert samples['causeway_inbox_requests_total{result="stored"}'] == 1
        assert samples['causeway_inbox_requests_total{result="duplicate"}'] == 1
