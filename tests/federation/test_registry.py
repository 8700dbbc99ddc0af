"""The feature registry: its tables against the real payloads and the hub's event kinds, and its refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from federation import hooks, registry
from federation.errors import RegistryError
from federation.features import campaigns, collaboration, decisions, gatherings, members_only, moving, relays, spaces
from federation.handling import ANY, Feature, First, Incoming, done, ignored
from federation.processing import UNSUPPORTED
from hub.services import events

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = next(
    (p for p in (REPO.parent / "shared" / "interop" / "payloads", Path("/work/shared/interop/payloads")) if p.is_dir()),
    None,
)
NOT_HANDLED = {
    ("Lock", ""): "Lemmy's lock of a post: the group decides its own posts",
    ("Warn", ""): "Lemmy's warning: a remote moderator's business",
    ("Resolve", "Flag"): "a remote server resolving its own report",
    ("Undo", "Lock"): "Lemmy's unlock",
    ("Undo", "Delete"): "deleted content is not restored",
    ("Undo", "Dislike"): "dislikes are not counted",
    ("Undo", "Like"): "likes are not counted",
    ("Note", ""): "a bare Note is no activity (refused at the inbox)",
}
"""(activity type, embedded object type) of real payloads that no feature handles, and why: anything else must have a handler."""


def _payload_keys() -> dict[str, tuple[str, str]]:
    keys = {}
    for path in sorted(PAYLOADS.glob("*/activities/**/*.json")):
        activity = json.loads(path.read_text())
        obj = activity.get("object")
        keys[str(path.relative_to(PAYLOADS))] = (activity.get("type"), obj.get("type", "") if isinstance(obj, dict) else "")
    return keys


@pytest.mark.skipif(PAYLOADS is None, reason="the shared interop payloads are not on this machine")
def test_every_real_payload_has_a_handler_or_a_reason():
    """Each activity in the payload fixtures finds a handler, is deliberately unsupported, or is listed as not handled."""
    keys = _payload_keys()
    assert len(keys) > 40
    unhandled = {
        name: key for name, key in keys.items()
        if registry.handler_for(*key) is None and key[0] not in UNSUPPORTED and key not in NOT_HANDLED
    }
    assert unhandled == {}
    stale = set(NOT_HANDLED) - {key for key in keys.values() if registry.handler_for(*key) is None}
    assert stale == set(), "NOT_HANDLED lists keys that now have a handler or no payload"


@pytest.mark.skipif(PAYLOADS is None, reason="the shared interop payloads are not on this machine")
def test_payloads_reach_the_owning_features():
    """A few payloads land on the feature that owns them (relays run first on Accept and Announce)."""
    keys = _payload_keys()
    owner = lambda name: registry.REGISTRY.inbound_chains[_key(keys[name])].owner[0]  # noqa: E731
    assert owner("lemmy/activities/following/follow.json") == "membership"
    assert owner("mastodon/activities/create_note.json") == "posts"
    assert owner("mbin/activities/flag.json") == "moderation"
    assert owner("lemmy/activities/block/undo_block_user.json") == "moderation"
    chain = registry.REGISTRY.inbound_chains[_key(keys["mbin/activities/accept.json"])]
    assert (chain.owner[0], [name for name, _ in chain.firsts]) == ("collaboration", ["relays", "gatherings"])


def _key(key: tuple[str, str]) -> tuple[str, str]:
    return key if key in registry.INBOUND else (key[0], ANY)


def test_every_event_kind_is_handled_or_declared_quiet():
    """Each kind hub.services.events declares has an outbound handler or is declared quiet by a feature, never both."""
    kinds = set(events.KINDS)
    handled, quiet = set(registry.OUTBOUND), registry.REGISTRY.quiet
    assert kinds - handled - quiet == set()
    assert handled - kinds == set(), "handlers for kinds the hub never records"
    assert quiet - kinds == set()
    assert handled & quiet == set()


def test_the_declared_event_kinds_cover_what_hub_services_record():
    """Every literal kind recorded in hub/services is declared in events.KINDS (and f-string kinds have a declared prefix)."""
    literal = re.compile(r'events\.record\(\s*"([a-z_]+\.[a-z_]+)"')
    formatted = re.compile(r'events\.record\(\s*f"([a-z_]+)\.\{')
    found, prefixes = set(), set()
    for path in (REPO / "hub" / "services").glob("*.py"):
        text = path.read_text()
        found |= set(literal.findall(text))
        prefixes |= set(formatted.findall(text))
    assert found and found <= set(events.KINDS)
    assert prefixes and all(any(kind.startswith(f"{p}.") for kind in events.KINDS) for p in prefixes)


async def test_recording_an_undeclared_event_kind_raises():
    """A kind that is not declared cannot be recorded (it would reach no handler unnoticed)."""
    with pytest.raises(ValueError, match="not declared"):
        await events.record("post.teleported")


def test_no_declaration_is_shadowed():
    """Every handler a feature declares is the owner or a First of its key's chain in the assembled tables."""
    for feature in registry.FEATURES:
        for table, chains in (("inbound", registry.REGISTRY.inbound_chains), ("outbound", registry.REGISTRY.outbound_chains)):
            for key, entry in getattr(feature, table).items():
                chain = chains[key]
                if isinstance(entry, First):
                    assert (feature.name, entry.handler) in chain.firsts, (table, key)
                else:
                    assert chain.owner == (feature.name, entry), (table, key)


def test_the_fallbacks_are_the_declared_ones():
    """relays (and, on Accept/Reject, gatherings: RSVPs to events; on Announce, partners: followed groups' events) run
    first on Accept/Reject/Announce, collaboration owns them; members_only runs first on post events."""
    for kind, firsts in (("Accept", ["relays", "gatherings"]), ("Reject", ["relays", "gatherings"]),
                         ("Announce", ["relays", "partners"])):
        chain = registry.REGISTRY.inbound_chains[(kind, ANY)]
        assert [n for n, _ in chain.firsts] == firsts and chain.owner[0] == "collaboration"
    for kind in ("post.published", "post.updated", "post.deleted", "post.removed"):
        assert [n for n, _ in registry.REGISTRY.outbound_chains[kind].firsts] == ["members_only"]
    assert registry.REGISTRY.inbound_chains[("Accept", ANY)].firsts[0][1] is relays.on_accept


def test_hooks_are_connected_in_feature_order():
    """The registry connected every feature's hook functions to their points."""
    assert hooks.PRECHECK.functions == (collaboration.precheck,)
    assert hooks.FOLLOW.functions == (members_only.refuse_leaky_follow, moving.refuse_follow_of_moved)
    assert hooks.REPLY.functions == (decisions.route_vote, campaigns.route_reply, gatherings.route_reply, spaces.through_partner)  # votes before answers to calls
    assert hooks.GROUP_POST.functions == (campaigns.after_group_post,)


async def _h(fed, item):
    return done("owner")


def test_a_key_declared_twice_raises():
    """Two owners of one inbound key (or one event kind) are refused when assembling."""
    one, two = Feature("one", inbound={("Like", ANY): _h}), Feature("two", inbound={("Like", ANY): _h})
    with pytest.raises(RegistryError, match=r"declared by both one and two"):
        registry.assemble([one, two])
    with pytest.raises(RegistryError, match="post.published"):
        registry.assemble([Feature("a", outbound={"post.published": _h}), Feature("b", outbound={"post.published": _h})])


def test_the_real_features_with_one_duplicated_raise():
    """Adding a feature that owns an existing key (collaboration's Accept, as campaigns did before) is refused."""
    clash = Feature("clash", inbound={("Accept", ANY): relays.on_accept})
    with pytest.raises(RegistryError, match="Accept"):
        registry.assemble([*registry.FEATURES, clash])


def test_a_first_without_owner_an_unknown_hook_and_a_shared_name_raise():
    """A First with nothing to fall back to, a hook point that does not exist and two features of one name are refused."""
    with pytest.raises(RegistryError, match="no feature owns it"):
        registry.assemble([Feature("a", inbound={("Like", ANY): First(_h)})])
    with pytest.raises(RegistryError, match="unknown hook point"):
        registry.assemble([Feature("a", hooks={"after_everything": _h})])
    with pytest.raises(RegistryError, match="share a name"):
        registry.assemble([Feature("a"), Feature("a")])
    with pytest.raises(RegistryError, match="both handled and declared quiet"):
        registry.assemble([Feature("a", outbound={"post.held": _h}, quiet=frozenset({"post.held"}))])


async def test_a_chain_runs_firsts_in_order_until_one_answers():
    """Firsts run in feature order; a None passes to the next and the owner answers last."""
    calls = []

    def first(name, answer):
        async def handler(fed, item):
            calls.append(name)
            return answer
        return handler

    table = registry.assemble([
        Feature("a", inbound={("Like", ANY): First(first("a", None))}),
        Feature("b", inbound={("Like", ANY): First(first("b", None))}),
        Feature("owner", inbound={("Like", ANY): _h}),
    ]).inbound
    item = Incoming({"type": "Like"}, "https://x.example/u", None, None)
    assert await table[("Like", ANY)](None, item) == done("owner")
    assert calls == ["a", "b"]
    calls.clear()
    taken = registry.assemble([
        Feature("a", inbound={("Like", ANY): First(first("a", ignored("mine")))}),
        Feature("owner", inbound={("Like", ANY): _h}),
    ]).inbound
    assert await taken[("Like", ANY)](None, item) == ignored("mine")


async def test_an_outbound_first_that_handles_the_event_stops_the_chain():
    """An outbound First returning True ends the chain; False lets the owner send."""
    sent = []

    async def first(fed, event, group):
        sent.append("first")
        return event == "mine"

    async def owner(fed, event, group):
        sent.append("owner")

    table = registry.assemble([Feature("m", outbound={"post.published": First(first)}), Feature("p", outbound={"post.published": owner})]).outbound
    await table["post.published"](None, "mine", None)
    assert sent == ["first"]
    await table["post.published"](None, "other", None)
    assert sent == ["first", "first", "owner"]
