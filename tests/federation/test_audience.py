"""The audience policy: who receives a group's activity, over generated memberships and on a real database."""

from __future__ import annotations

import json
from collections import defaultdict

import httpx
from hypothesis import given, settings, strategies as st

from federation.audience import NOT_SAFE_FOR_SHARED, Audience, Member, group_audience, is_blocked, plan
from federation.nodeinfo import announce_form
from federation.outbound import handle_event
from federation.context import build_federation
from hub.clock import now
from hub.models import Account, Delivery, DomainBlock, Event, Membership, Peer, RemoteActor
from hub.services import calls, groups
from hub.services.blocks import covering
from hub.settings import load_settings

SOFTWARE = ("mastodon", "lemmy", "mbin", "friendica", "pleroma", None)
LEAKY = frozenset({"pleroma"})
STATES = ("accepted", *NOT_SAFE_FOR_SHARED)


@st.composite
def memberships(draw):
    """Servers (host, software, shared inbox or not, blocked) and accounts on them in any membership state."""
    servers = draw(st.lists(
        st.tuples(st.sampled_from(SOFTWARE), st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=6,
    ))
    accounts = []
    for peer_id, (software, has_shared, mixed, _) in enumerate(servers):
        for n in range(draw(st.integers(0, 4))):
            shared = f"https://s{peer_id}.example/inbox" if has_shared and not (mixed and n == 1) else None
            accounts.append((len(accounts), peer_id, draw(st.sampled_from(STATES)), shared))
    blocked_domains = {f"s{i}.example" for i, (_, _, _, blocked) in enumerate(servers) if blocked}
    return servers, accounts, blocked_domains


def _members(servers, accounts) -> tuple[list[Member], set[int]]:
    members, unsafe = [], set()
    for account_id, peer_id, state, shared in accounts:
        if state != "accepted":
            unsafe.add(peer_id)
            continue
        members.append(Member(account_id, f"https://s{peer_id}.example/users/{account_id}/inbox", shared, peer_id,
                              f"s{peer_id}.example", servers[peer_id][0]))
    return members, unsafe


def _host(inbox: str) -> str:
    return inbox.split("/")[2]


@settings(max_examples=300, deadline=None)
@given(memberships(), st.booleans())
def test_private_content_never_reaches_a_server_without_an_accepted_member(world, private):
    """No inbox of a server whose accounts are all pending, banned, removed... (or that has none) is listed."""
    servers, accounts, blocked = world
    members, unsafe = _members(servers, accounts)
    result = plan(members, private=private, blocked_domains=blocked, unsafe_peers=unsafe, leaky=LEAKY)
    with_member = {m.host for m in members}
    assert {_host(i) for i in result.everyone} <= with_member
    personal = {m.inbox for m in members}
    shared = {m.shared_inbox for m in members}
    assert set(result.everyone) <= personal | shared


@settings(max_examples=300, deadline=None)
@given(memberships(), st.booleans())
def test_a_blocked_server_never_receives_anything(world, private):
    """Blocked domains (and their subdomains) get nothing, public or private."""
    servers, accounts, blocked = world
    members, unsafe = _members(servers, accounts)
    result = plan(members, private=private, blocked_domains=blocked, unsafe_peers=unsafe, leaky=LEAKY)
    assert not {_host(i) for i in result.everyone} & blocked
    parent = plan(members, private=private, blocked_domains={"example"}, unsafe_peers=unsafe, leaky=LEAKY)
    assert parent.everyone == []


@settings(max_examples=300, deadline=None)
@given(memberships(), st.booleans())
def test_each_server_receives_one_copy_at_its_shared_inbox_or_one_per_member(world, private):
    """No inbox twice; a server gets its shared inbox alone or its members' personal inboxes, never both."""
    servers, accounts, blocked = world
    members, unsafe = _members(servers, accounts)
    result = plan(members, private=private, blocked_domains=blocked, unsafe_peers=unsafe, leaky=LEAKY)
    listed = [i for inboxes in result.forms.values() for i in inboxes]
    assert len(listed) == len(set(listed))
    by_host = defaultdict(set)
    for inbox in listed:
        by_host[_host(inbox)].add(inbox)
    for host, inboxes in by_host.items():
        shared = {i for i in inboxes if i.endswith(".example/inbox")}
        assert not shared or inboxes == shared and len(shared) == 1, host


@settings(max_examples=300, deadline=None)
@given(memberships())
def test_private_content_uses_a_shared_inbox_only_where_every_account_is_a_member(world):
    """A server with a pending, banned, removed, rejected or gone account gets private content at personal inboxes;
    leaky software gets none."""
    servers, accounts, blocked = world
    members, unsafe = _members(servers, accounts)
    result = plan(members, private=True, blocked_domains=blocked, unsafe_peers=unsafe, leaky=LEAKY)
    for inbox in result.everyone:
        peer_id = int(_host(inbox)[1:].split(".")[0])
        assert servers[peer_id][0] not in LEAKY
        if inbox.endswith(".example/inbox"):
            assert peer_id not in unsafe


@settings(max_examples=200, deadline=None)
@given(memberships(), st.booleans())
def test_every_reachable_member_is_reached_in_the_form_its_server_shows(world, private):
    """Each accepted member of an unblocked (and, for private content, not leaky) server is covered, in its form."""
    servers, accounts, blocked = world
    members, unsafe = _members(servers, accounts)
    result = plan(members, private=private, blocked_domains=blocked, unsafe_peers=unsafe, leaky=LEAKY)
    for m in members:
        if m.host in blocked or (private and m.software in LEAKY):
            continue
        form = announce_form(m.software)
        assert m.inbox in result.get(form) or m.shared_inbox in result.get(form)


def test_excluded_account_and_parent_domain_blocks():
    """A relayed post's source is left out; a block of example.com covers social.example.com."""
    members = [Member(1, "https://a.test/u/1/inbox", None, 1, "a.test", "mastodon"),
               Member(2, "https://social.example.com/u/2/inbox", None, 2, "social.example.com", "lemmy")]
    assert plan(members, private=False, exclude_account_id=1).everyone == ["https://social.example.com/u/2/inbox"]
    assert plan(members, private=False, blocked_domains={"example.com"}).forms == {"object": ["https://a.test/u/1/inbox"]}
    assert is_blocked("Social.Example.com", {"example.com"}) and not is_blocked("example.org", {"example.com"})
    assert not is_blocked("notexample.com", {"example.com"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "example", "com", "10", "0", "1"]), min_size=1, max_size=4),
       st.sampled_from(["", ":8443"]), st.sets(st.sampled_from(["example.com", "b.example.com", "com", "0.1", "10.0.0.1", "a"])))
def test_is_blocked_reads_hosts_as_the_block_rules_do(labels, port, blocked):
    """is_blocked agrees with hub.services.blocks.covering for names, ports and IP addresses."""
    host = ".".join(labels) + port
    assert is_blocked(host, blocked) == any(domain in blocked for domain in covering(host))
    assert Audience({}).everyone == [] and Audience({}).get("object") == []


async def _remote(peer: Peer, name: str, *, shared: str | None) -> Account:
    account = await Account.create(uri=f"https://{peer.host}/users/{name}", handle=f"{name}@{peer.host}")
    await RemoteActor.create(account=account, peer=peer, uri=account.uri, actor_type="Person", inbox=f"{account.uri}/inbox",
                             shared_inbox=shared, fetched_at=now())
    return account


async def test_the_database_audience_follows_the_policy(db):
    """On real rows: blocked servers (instance and group) get nothing; private groups keep a banned member's server
    off its shared inbox and leaky software out; public groups use shared inboxes."""
    mastodon = await Peer.create(host="masto.test", software="mastodon")
    lemmy = await Peer.create(host="lemmy.test", software="lemmy")
    blocked = await Peer.create(host="bad.test", software="mastodon", blocked=True)
    grouped = await Peer.create(host="spam.test", software="mastodon")
    leaky = await Peer.create(host="leaky.test", software="pleroma")
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https", "HUB_REFUSE_LEAKY_SOFTWARE": "pleroma"}),
                           http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    for visibility in ("public", "private"):
        group = await groups.create_group(f"g_{visibility}", "G", private=visibility == "private")
        await DomainBlock.create(group=group, domain="spam.test")
        for peer, name, state in [(mastodon, "ann", "accepted"), (mastodon, "bob", "banned"), (lemmy, "cat", "accepted"),
                                  (blocked, "dan", "accepted"), (grouped, "eve", "accepted"), (leaky, "fay", "accepted")]:
            account = await Account.get_or_none(uri=f"https://{peer.host}/users/{name}") or await _remote(
                peer, name, shared=f"https://{peer.host}/inbox")
            await Membership.create(group=group, account=account, state=state)
        result = await group_audience(fed, group)
        if visibility == "public":
            assert result.forms == {"object": ["https://leaky.test/inbox", "https://masto.test/inbox"],
                                    "activity": ["https://lemmy.test/inbox"]}
        else:
            assert result.forms == {"object": ["https://masto.test/users/ann/inbox"], "activity": ["https://lemmy.test/inbox"]}
        assert (await group_audience(fed, group, members_only=True)).forms == {
            "object": ["https://masto.test/users/ann/inbox"], "activity": ["https://lemmy.test/inbox"]}
    await fed.close()


async def test_a_private_groups_call_no_longer_reaches_a_banned_members_server_through_its_shared_inbox(db):
    """The call of a private group goes to the accepted member's personal inbox when the same server has a banned
    account (before the one policy, calls and alerts went to every member server's shared inbox, whence the server
    could show it to the banned account), and not at all to a blocked server."""
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}),
                           http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    group = await groups.create_group("quiet", "Quiet", private=True)
    masto = await Peer.create(host="masto.test", software="mastodon")
    blocked = await Peer.create(host="bad.test", software="mastodon", blocked=True)
    for peer, name, state in [(masto, "ann", "accepted"), (masto, "bob", "banned"), (blocked, "dan", "accepted")]:
        account = await _remote(peer, name, shared=f"https://{peer.host}/inbox")
        await Membership.create(group=group, account=account, state=state)
    await calls.create_call(group, what="Hand out leaflets", where="Station", when="2026-12-07T18:00", needed=2)
    for event in await Event.filter(state="pending").order_by("id"):
        await handle_event(fed, event)
    sent = [(d.inbox, json.loads(d.body)["object"]["type"]) for d in await Delivery.all()]
    assert sent == [("https://masto.test/users/ann/inbox", "Question")]
    await fed.close()


async def test_gone_actors_and_other_groups_members_get_nothing(db):
    """Only the group's own accepted members whose actor is not gone: a gone member's server, a member of another
    group and a local account are not in the audience; a member without a shared inbox gets their own inbox."""
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}),
                           http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    group = await groups.create_group("here", "Here")
    other = await groups.create_group("there", "There")
    live, gone, solo = [await Peer.create(host=f"{name}.test", software="mastodon") for name in ("live", "gone", "solo")]
    await Membership.create(group=group, account=await _remote(live, "ann", shared="https://live.test/inbox"), state="accepted")
    departed = await _remote(gone, "bob", shared="https://gone.test/inbox")
    await RemoteActor.filter(account=departed).update(gone=True)
    await Membership.create(group=group, account=departed, state="accepted")
    await Membership.create(group=other, account=await _remote(live, "cat", shared="https://live.test/other-inbox"),
                            state="accepted")
    await Membership.create(group=group, account=await _remote(solo, "dan", shared=None), state="accepted")
    await Membership.create(group=group, account=await Account.create(uri="https://hub.test/users/eve", is_local=True),
                            state="accepted")
    assert (await group_audience(fed, group)).forms == {
        "object": ["https://live.test/inbox", "https://solo.test/users/dan/inbox"]}
    await fed.close()
