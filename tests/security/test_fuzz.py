"""Property tests: untrusted JSON never breaks the activity path or the readers beneath it.

- ``processing.process`` fed arbitrary activity-like dicts (over a Federation whose network answers
  404 to everything) raises nothing but FederationError or HubError — the two families
  ``process_item`` turns into an ``ignored`` outcome;
- ``inbox.parse_body`` raises nothing but PayloadError on arbitrary bytes;
- ``inbox`` shape and origin checks raise nothing but FederationError on arbitrary dicts;
- the ``vocab`` readers never raise at all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from federation import fetch, vocab
from federation.context import Federation, build_federation
from federation.errors import FederationError, OriginError, PayloadError
from federation.inbox import _check_shape, check_origin, parse_body
from federation.processing import process
from federation.registry import precheck
from federation.remote import store_actor
from hub.errors import HubError
from hub.models import Group, InstanceKey, Membership
from tests.federation.harness import HUB_BASE, OTHER_KEY, PUBLIC, RemoteWorld, hub_settings

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
QUICK = settings(FUZZ, max_examples=100)
"""The pure readers are cheap to reach: fewer examples keep the suite fast."""
ACTOR = "https://remote.test/users/fuzz"
GROUP = f"{HUB_BASE}/groups/climate"

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20
)
urls = st.sampled_from([
    ACTOR, f"{ACTOR}/statuses/1", f"{ACTOR}/statuses/2", f"{ACTOR}#follows/climate", "https://remote.test/users/other",
    "https://evil.test/statuses/1", GROUP, f"{GROUP}/followers", f"{HUB_BASE}/groups/nosuch", f"{HUB_BASE}/actor",
    f"{HUB_BASE}/groups/climate/activities/invite/1", PUBLIC, "javascript:alert(1)", "", "https://remote.test/" + "x" * 1100,
])
types = st.sampled_from([
    "Create", "Update", "Delete", "Follow", "Undo", "Accept", "Reject", "Announce", "Invite", "Flag", "Add", "Remove",
    "Block", "Like", "Join", "Leave", "Note", "Page", "Article", "Question", "Tombstone", "Group", "Person", "Event", "",
])
references = urls | json_values | st.lists(urls, max_size=3) | st.builds(lambda u: {"id": u}, urls)
timestamps = st.sampled_from(["2025-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "yesterday", ""]) | json_scalars
tags = st.lists(
    st.fixed_dictionaries({"type": st.sampled_from(["Mention", "Hashtag", "Emoji"]) | json_scalars}, optional={"href": urls | json_scalars, "name": st.text(max_size=30) | json_scalars}),
    max_size=4,
) | json_values
objects = st.fixed_dictionaries(
    {"type": types | json_scalars},
    optional={
        "id": urls | json_scalars, "attributedTo": references, "actor": references, "object": references,
        "content": st.text(max_size=60) | json_values, "contentMap": st.dictionaries(st.text(max_size=6), st.text(max_size=20) | json_scalars, max_size=2) | json_values,
        "name": st.text(max_size=30) | json_values, "summary": st.text(max_size=30) | json_values, "to": references, "cc": references,
        "audience": references, "tag": tags, "inReplyTo": references, "published": timestamps, "updated": timestamps,
        "url": references, "attachment": json_values, "target": references,
    },
)
activities = st.fixed_dictionaries(
    {"id": st.just(f"{ACTOR}/activities/fuzz"), "type": types | json_scalars, "actor": st.just(ACTOR)},
    optional={"object": urls | objects | json_values, "to": references, "cc": references, "audience": references, "target": references, "tag": tags},
)


@pytest.fixture
async def fed(db, tmp_path: Path) -> AsyncIterator[Federation]:
    """A Federation whose network answers 404 to everything; the group ``climate`` with the fuzzing actor as a member."""
    await InstanceKey.create(private_key_pem=OTHER_KEY.private_pem, public_key_pem=OTHER_KEY.public_pem)
    group = await Group.create(slug="climate", name="Climate", private_key_pem=OTHER_KEY.private_pem, public_key_pem=OTHER_KEY.public_pem)
    actor = await store_actor(RemoteWorld().person("fuzz").document)
    await Membership.create(group=group, account=await actor.account, state="accepted", follow_uri=f"{ACTOR}#follows/climate")
    federation = build_federation(
        hub_settings("sqlite://unused", tmp_path / "data", HUB_DOMAIN="hub.test"),
        http_transport=httpx.MockTransport(lambda request: httpx.Response(404)),
    )
    yield federation
    await federation.close()


@pytest.mark.db
@FUZZ
@given(activity=activities)
@example(activity={"id": f"{ACTOR}/a", "type": "Create", "actor": ACTOR, "object": {"type": "Note", "attributedTo": ACTOR, "content": "x", "to": [GROUP]}})
@example(activity={"id": f"{ACTOR}/a", "type": "Create", "actor": ACTOR, "object": {"id": f"{ACTOR}/s", "type": "Note", "attributedTo": ACTOR, "cc": [GROUP], "to": [PUBLIC], "published": "9999-12-31T23:59:59-23:59"}})
@example(activity={"id": f"{ACTOR}/a", "type": "Create", "actor": ACTOR, "object": {"id": 42, "type": "Note", "attributedTo": ACTOR}})
@example(activity={"id": f"{ACTOR}/a", "type": "Delete", "actor": ACTOR, "object": "https://remote.test/" + "x" * 1100})
@example(activity={"id": f"{ACTOR}/a", "type": "Undo", "actor": ACTOR, "object": "https://remote.test/" + "x" * 1100})
@example(activity={"id": f"{ACTOR}/a", "type": "Accept", "actor": ACTOR, "object": "https://remote.test/" + "x" * 1100})
@example(activity={"id": f"{ACTOR}/a", "type": "Reject", "actor": ACTOR, "object": "https://remote.test/" + "x" * 1100})
async def test_process_raises_only_federation_or_hub_errors(fed: Federation, activity: dict) -> None:
    """Whatever the activity, processing ends in an Outcome or a FederationError/HubError."""
    try:
        outcome = await process(fed, activity, ACTOR)
    except (FederationError, HubError):
        return
    assert outcome.state in ("done", "ignored")
    assert outcome.state == "done" or outcome.reason


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
@example(body=b"[" * 100 + b"]" * 100)
@example(body=b'{"a": NaN}')
@example(body=b"\xff\xfe{}")
@example(body=b'{"a": "\\ud800"}')
def test_parse_body_raises_only_payload_errors(body: bytes) -> None:
    """Arbitrary bytes give a JSON object or a PayloadError."""
    try:
        parsed = parse_body(body)
    except PayloadError:
        return
    assert isinstance(parsed, dict)


@QUICK
@given(activity=activities | st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_inbox_shape_and_origin_checks_raise_only_federation_errors(activity: dict) -> None:
    """The inbox's checks on a parsed body refuse with federation errors only."""
    try:
        _, _, actor = _check_shape(activity)
        check_origin(activity, actor)
    except FederationError:
        return


@QUICK
@given(value=json_values | objects | activities, other=json_values | objects)
@example(value={"published": "9999-12-31T23:59:59-23:59"}, other=None)
def test_vocab_readers_never_raise(value: object, other: object) -> None:
    """Every vocab reader takes whatever JSON a peer sent and returns plain values."""
    vocab.id_of(value)
    vocab.type_of(value)
    vocab.ids(value)
    vocab.is_http_id(value)
    vocab.parse_time(value)
    if isinstance(value, dict):
        vocab.parse_time(value.get("published"))
        vocab.audience(value, other if isinstance(other, dict) else None)
        list(vocab.mentions(value))
        vocab.hashtags(value)
        vocab.mention_count(value)
        vocab.malformed_field(value, other if isinstance(other, dict) else None)
        vocab.content_and_language(value)
        addresses = vocab.ids(value.get("to")) + vocab.ids(value.get("cc"))
        assert vocab.visibility(addresses, vocab.ids(value.get("cc")), f"{GROUP}/followers") in ("public", "unlisted", "members", "direct")
        vocab.is_public(addresses)


url_parts = st.sampled_from(["http", "https", "HTTPS", "ftp", ""]), st.text(max_size=30), st.text(max_size=30)


@QUICK
@given(*url_parts)
@example("https", "user@Example.COM.:443", "/a/b?c#d")
@example("http", "evil.test#@good.test", "/x")
@example("http", "[::ffff:127.0.0.1]:8080", "")
@example("http", "0x7f.1", "/")
@example("https", "host", "\\evil.test/")
@example("http", "host", "/ path")
def test_origin_of_the_prefix_is_the_origin_of_the_whole_url(scheme: str, authority: str, rest: str) -> None:
    """The cached origin (parsed from ``scheme://authority`` alone) equals httpx's parse of the whole URL."""
    url = f"{scheme}://{authority}{rest}"

    def outcome(parse) -> object:
        try:
            return parse(url)
        except OriginError as exc:
            return type(exc)

    assert outcome(fetch._origin) == outcome(fetch._parse_origin.__wrapped__)


@pytest.mark.db
async def test_an_over_long_local_invite_id_is_no_invite_at_the_door(fed: Federation) -> None:
    """An Accept naming a local invite id too long to be stored: the inbox's prechecks let it through to be
    ignored, instead of asking the database and failing with the ORM's length error (a 500)."""
    long_id = f"{fed.urls.group('climate')}/activities/invite/{'x' * 1100}"
    await precheck(fed, {"id": f"{ACTOR}/a", "type": "Accept", "actor": ACTOR, "object": long_id}, ACTOR)
    outcome = await process(fed, {"id": f"{ACTOR}/a", "type": "Accept", "actor": ACTOR, "object": long_id}, ACTOR)
    assert outcome.state == "ignored"
