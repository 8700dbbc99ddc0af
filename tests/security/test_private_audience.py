"""Every kind of group object follows the one audience policy (issue 21 item 5).

A private group has an accepted member (alice) on good.test, where bob is banned and carol waits for
approval, and an accepted member (dave) on blocked.test, a server the instance blocks. Whatever the
group sends — a post's Announce (members-only in a private group), its edit, a call, an alert and its
direct messages, a campaign note, a pin, a profile update — reaches alice's personal inbox only:
never good.test's shared inbox (bob's server could show it to him), never bob, carol or blocked.test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from federation.context import build_federation
from federation.outbound import handle_event
from hub.clock import now
from hub.models import Account, Delivery, Event, Group, Membership, Peer, Post, RemoteActor
from hub.services import alerts, calls, campaigns, moderation, posts, profiles
from hub.services.groups import create_group
from hub.settings import load_settings

pytestmark = pytest.mark.db

ALICE_INBOX = "https://good.test/users/alice/inbox"


async def _account(name: str, host: str) -> Account:
    peer, _ = await Peer.get_or_create(host=host, defaults={"software": "mastodon"})
    account = await Account.create(uri=f"https://{host}/users/{name}", handle=f"{name}@{host}")
    await RemoteActor.create(account=account, peer=peer, uri=account.uri, actor_type="Person", inbox=f"{account.uri}/inbox",
                             shared_inbox=f"https://{host}/inbox", fetched_at=now())
    return account


def _draft(uri: str, text: str = "<p>members only</p>") -> posts.PostDraft:
    return posts.PostDraft(uri=uri, activity_uri=f"{uri}/activity", object_type="Note", content_html=text,
                           visibility="public", published_at=now(), activity_json="{}")


async def _post(group: Group, author: Account) -> Post:
    return (await posts.submit(group, author, _draft("https://good.test/users/alice/statuses/1"))).post


async def _edit(group: Group, author: Account) -> None:
    await _post(group, author)
    await posts.edit(author, _draft("https://good.test/users/alice/statuses/1", "<p>edited</p>"))


async def _call(group: Group, author: Account) -> None:
    await calls.create_call(group, what="Hand out leaflets", where="Station", when="2026-12-07T09:00", needed=2)


async def _alert(group: Group, author: Account) -> None:
    await alerts.send_alert(group, "Meet at the town hall now")


async def _campaign(group: Group, author: Account) -> None:
    await campaigns.create_campaign(group, "clean_air", "Clean air", hashtags=["cleanair"])


async def _pin(group: Group, author: Account) -> None:
    post = await _post(group, author)
    await Post.filter(id=post.id).update(visibility="public")  # written before the group went private
    await moderation.pin_post(await Post.get(id=post.id), True)


async def _profile(group: Group, author: Account) -> None:
    await profiles.update_profile(group, by=None, name="Secret circle", summary="New about text", rules="",
                                  join_policy=group.join_policy, posting_mode=group.posting_mode)


KINDS: dict[str, Callable[[Group, Account], Awaitable[object]]] = {
    "post (members-only Announce)": _post, "post edit": _edit, "call": _call, "alert": _alert,
    "campaign note": _campaign, "pin": _pin, "profile update": _profile,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_private_groups_object_reaches_accepted_members_only(kind: str, db) -> None:
    """Only alice's personal inbox receives it: not the shared inbox of a server with a banned or pending account, not a blocked server."""
    # Given a private group with accepted, banned, pending and blocked-server members, all alert subscribers
    alice = await _account("alice", "good.test")
    group = await create_group("secret", "Secret", private=True, owner=alice)
    for name, host, state in [("bob", "good.test", "banned"), ("carol", "good.test", "pending"), ("dave", "blocked.test", "accepted")]:
        account = await _account(name, host)
        await Membership.create(group=group, account=account, state="accepted", role="member", follow_uri=f"{account.uri}#f")
        await alerts.subscribe(group, account)
        await Membership.filter(account=account).update(state=state)
    await alerts.subscribe(group, alice)
    await Peer.filter(host="blocked.test").update(blocked=True)
    await Event.all().delete()
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}),
                           http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    try:
        # When the group sends this kind of object
        await KINDS[kind](await Group.get(id=group.id), alice)
        for event in await Event.filter(state="pending").order_by("id"):
            await handle_event(fed, event)
    finally:
        await fed.close()
    # Then it was sent, and only to alice's personal inbox
    inboxes = set(await Delivery.all().values_list("inbox", flat=True))
    assert inboxes == {ALICE_INBOX}, inboxes
