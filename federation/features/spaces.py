"""Two-way shared spaces on the wire: partners feed the space, name its moderators, remove, ban and leave.

A collaboration's space (a Group actor at its host) follows every partner group with a hashtag
filter (``GroupFollow.hashtag``): a partner's post carrying the space's hashtag, or addressed to
the space, reaches the host as the partner's Announce and is shared into the space, which announces
it to every other partner (never back to its source), and each partner relays it to its members.
Every group keeps one copy of a post (``posts.relay``), so a loop of spaces following each other
stops at the first group that already has it (logged, nothing sent twice).

Moderation is shared. A partner group names moderators of the space; the partner's hub sends
``Add{moderator, target: <space>/moderators}`` to the space. A named moderator's removal goes out
as ``Remove{post, target: <space>}`` and a ban as ``Block{account, target: <space>}``, both signed
by the partner group and naming the moderator in ``attributedTo``. The host acts only when the
sender is an accepted partner of the space and named that moderator; anything else is ignored with
a warning in the log. The space's removal then reaches every partner (the existing retraction
flow: its Undo of the Announce), and a partner also takes down its own original of a post removed
from the space. A partner that undoes its follow of the space stops receiving (no longer a member)
and contributing (the space unfollows it, and Announces from non-partners are refused at once).
"""

from __future__ import annotations

import json
import logging
import uuid

from federation import activities
from federation.context import Federation
from federation.delivery import enqueue
from federation.handling import First, Feature, Incoming, Outcome, done, ignored
from federation.local_groups import local_group, local_group_account, local_group_of
from federation.remote import account_for
from federation.campaign_objects import attachments_of, post_hashtags, text_lines_off_loop, update_of
from federation.features.campaigns import call_object
from federation.vocab import audience, content_and_language, id_of, mentions, type_of
from hub.errors import HubError
from hub.models import Account, CallToAction, Collaboration, Event, Group, GroupFollow, Membership, Post, RemoteActor
from hub.services import campaigns, collaborations, moderation, spaces

log = logging.getLogger("causeway.spaces")


async def shared_tags(fed: Federation, activity: dict, obj: dict) -> tuple[list[str], set[str]]:
    """A post's hashtags, and the slugs of the local groups it is addressed to or mentions (for relay filters)."""
    content, _ = content_and_language(obj)
    tags = post_hashtags(obj, await text_lines_off_loop(content))
    addressed = set(audience(activity, obj)) | {href for href, _ in mentions(obj) if href}
    slugs = {slug for slug in (fed.urls.group_slug(url) for url in addressed) if slug}
    return tags, slugs


async def stored_tags(fed: Federation, post: Post) -> tuple[list[str], set[str]]:
    """:func:`shared_tags` of a stored post, read from the activity (or object) it arrived in."""
    try:
        doc = json.loads(post.activity_json or "{}")
    except ValueError:
        return [], set()
    obj = doc.get("object") if isinstance(doc.get("object"), dict) else doc
    return await shared_tags(fed, doc, obj) if isinstance(obj, dict) else ([], set())


async def refusal(fed: Federation, group: Group, source: Account, author: Account) -> str | None:
    """Why ``group`` (a local space) will not take a post ``source`` shared, logged; None when it will."""
    why = await spaces.may_share(group, source, author)
    if why is not None:
        log.warning("space %s refused a post shared by %s: %s", group.slug, source.uri, why)
    return why


async def gather_shared(space_group: Group, post: Post, obj: dict, hashtags: list[str]) -> list[str]:
    """A post a partner shared into the space joins the space's campaigns with its hashtags (credited to the partner)."""
    gathered = await campaigns.gather_shared_post(post, hashtags, attachments=attachments_of(obj))
    return [f"gathered by {len(gathered)} campaign(s)"] if gathered else []


async def through_partner(fed: Federation, item: Incoming, obj: dict) -> Outcome | None:
    """A Create addressed only to local spaces by someone who is not a member of them (hook point ``reply``).

    A partner's member reaches the space through their own group (its Announce brings the post), so
    the direct copy is left alone rather than refused with a Reject; None for anything else.
    """
    addressed = set(audience(item.activity, obj)) | {href for href, _ in mentions(obj) if href}
    targets = [g for g in [await local_group(fed, url) for url in addressed] if g is not None]
    if not targets or any(g.kind != "collaboration" for g in targets):
        return None
    author = await Account.get_or_none(uri=item.actor)
    for group in targets:
        if author is not None and await Membership.filter(group=group, account=author, state="accepted").exists():
            return None
    return ignored("addressed to a shared space by a non-member: it arrives through the partner group that shares it")


# --- the host: the space follows its partners ----------------------------------------------------


async def follow_partner(fed: Federation, collaboration: Collaboration, partner: Account) -> GroupFollow | None:
    """The space follows a new partner, filtered by the space's hashtag: the partner's posts with it flow in.

    The space's follow of the partner (new, or the one already pending or accepted); None for the space itself.
    """
    space_group = await collaboration.group
    if partner.uri == fed.urls.group(space_group.slug):
        return None
    row = await GroupFollow.get_or_none(group=space_group, target=partner)
    if row is not None and row.state in ("pending", "accepted"):
        return row
    return await collaborations.follow_group(
        space_group, partner, follow_uri=fed.urls.group_activity(space_group.slug, "follow", uuid.uuid4().hex),
        relay=True, hashtag=collaboration.hashtag or None,
    )


# --- inbound at the host ---------------------------------------------------------------------------


async def _space_target(fed: Federation, item: Incoming, suffix: str = "") -> Group | None:
    target = id_of(item.activity.get("target")) or ""
    if suffix:
        if not target.endswith(suffix):
            return None
        target = target.removesuffix(suffix)
    group = await local_group(fed, target)
    return group if group is not None and group.kind == "collaboration" else None


async def _claim(fed: Federation, item: Incoming) -> tuple[Account, Account] | None:
    """(partner, moderator) of a moderation activity: the signing group and the person it names."""
    moderator_uri = id_of(item.activity.get("attributedTo"))
    if not moderator_uri:
        return None
    return await _known(fed, item.actor), await _known(fed, moderator_uri)


async def _known(fed: Federation, uri: str) -> Account:
    """The account of ``uri``: already known (a local group's too), else fetched."""
    return await Account.get_or_none(uri=uri) or await account_for(fed, uri)


def _refused(group: Group, item: Incoming, exc: HubError) -> Outcome:
    log.warning("space %s refused %s by %s: %s", group.slug, type_of(item.activity), item.actor, exc)
    return ignored(str(exc))


async def on_add_moderator(fed: Federation, item: Incoming) -> Outcome | None:
    """A partner names a moderator of a local space (Add to ``<space>/moderators``); others: not ours."""
    group = await _space_target(fed, item, "/moderators")
    if group is None or not item.object_id:
        return None
    partner = await _known(fed, item.actor)
    moderator = await _known(fed, item.object_id)
    try:
        await spaces.record_moderator(group, await local_group_account(fed, group), partner, moderator)
    except HubError as exc:
        return _refused(group, item, exc)
    return done(f"{moderator.uri} moderates {group.slug} for {partner.uri}")


async def on_remove(fed: Federation, item: Incoming) -> Outcome | None:
    """A partner's named moderator removes a post from a local space; other Removes: not ours."""
    group = await _space_target(fed, item)
    if group is None:
        return None
    claim = await _claim(fed, item)
    if claim is None or not item.object_id:
        return _refused(group, item, HubError("a removal must name the post and the moderator (attributedTo)"))
    reason = item.activity.get("summary") if isinstance(item.activity.get("summary"), str) else None
    try:
        removed = await spaces.apply_removal(group, await local_group_account(fed, group), *claim, item.object_id, reason=reason)
    except HubError as exc:
        return _refused(group, item, exc)
    return done(f"removed from {group.slug}: {len(removed)} cop(ies)")


async def on_block(fed: Federation, item: Incoming) -> Outcome | None:
    """A partner's named moderator bans an account from a local space; other Blocks: not ours."""
    group = await _space_target(fed, item)
    if group is None or item.object_id == fed.urls.group(group.slug):
        return None
    claim = await _claim(fed, item)
    if claim is None or not item.object_id:
        return _refused(group, item, HubError("a ban must name the account and the moderator (attributedTo)"))
    reason = item.activity.get("summary") if isinstance(item.activity.get("summary"), str) else None
    try:
        await spaces.apply_ban(group, await local_group_account(fed, group), *claim, await _known(fed, item.object_id), reason=reason)
    except HubError as exc:
        return _refused(group, item, exc)
    return done(f"{item.object_id} banned from {group.slug}")


async def on_undo_follow(fed: Federation, item: Incoming) -> Outcome | None:
    """A partner leaves a local space (Undo of its Follow): it stops receiving and contributing; others: not ours."""
    group = await local_group(fed, id_of(item.obj.get("object")) if item.obj else None)
    if group is None or group.kind != "collaboration":
        return None
    partner = await Account.get_or_none(uri=item.actor)
    if partner is None or not await spaces.is_partner(group, partner):
        return None
    await spaces.partner_left(group, await local_group_account(fed, group), partner)
    log.info("partner %s left space %s", partner.uri, group.slug)
    return done(f"{partner.uri} left {group.slug}")


# --- inbound at a partner ------------------------------------------------------------------------


async def on_undo_announce(fed: Federation, item: Incoming) -> Outcome | None:
    """The space withdrew a post: a partner also takes down its own original it had shared into it."""
    space = await Account.get_or_none(uri=item.actor)
    announce = item.obj or {}
    uri = id_of(announce.get("object"))
    if space is None or not uri or id_of(announce.get("actor")) != item.actor:
        return None
    partner_ids = [follow.group_id for follow in await spaces.joined() if follow.target_id == space.id and follow.state == "accepted"]
    originals = await Post.filter(uri=uri, via_id=None, group_id__in=partner_ids, state__in=["published", "held"]) if partner_ids else []
    if not originals:
        return None
    reason = f"removed from the shared space {space.handle or space.uri}"
    for post in originals:
        await moderation.remove_post(post, reason=reason)
    withdrawn = await moderation.withdraw_relayed(space, uri, reason=reason)
    return done(f"removed from the space: {len(originals)} original(s), {len(withdrawn)} relayed cop(ies)")


# --- partners' calls in the space's campaigns ----------------------------------------------------


async def _call_numbers(obj: dict) -> tuple[str, int, bool, list[str]]:
    """(what, sign-ups, closed, hashtags) of a partner's call Question."""
    content, _ = content_and_language(obj)
    text = await text_lines_off_loop(content)
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    what = (name or text.strip().split("\n")[0] or "a call")[:500]
    voters = obj.get("votersCount")
    signups = voters if isinstance(voters, int) and not isinstance(voters, bool) and 0 <= voters <= 1_000_000 else 0
    return what, signups, bool(obj.get("closed")), post_hashtags(obj, text)


async def on_partner_call(fed: Federation, item: Incoming) -> Outcome | None:
    """A partner group's call (Create or Update of its Question) counts in the local spaces' campaigns; others: not ours."""
    obj = item.obj
    if not isinstance(obj, dict) or type_of(obj) != "Question" or id_of(obj.get("attributedTo")) != item.actor:
        return None
    partner = await Account.get_or_none(uri=item.actor)
    groups = await spaces.spaces_of(partner) if partner is not None else []
    if not groups or not isinstance(obj.get("id"), str):
        return None
    what, signups, closed, tags = await _call_numbers(obj)
    counted = []
    for group in groups:
        counted += await spaces.record_partner_call(group, partner, uri=obj["id"], what=what, signups=signups, closed=closed, hashtags=tags)
    return done(f"a partner's call counted in {len(counted)} campaign(s)") if counted else None


async def share_call(fed: Federation, event: Event, group: Group | None) -> bool:
    """A call of a partner group: local spaces count it at once; remote spaces get an Update of it on each sign-up.

    Runs first on the call events and always lets the campaigns feature publish the call (returns False).
    """
    call = await CallToAction.get_or_none(id=event.payload.get("call_id"))
    if call is None or group is None or call.campaign_id is None:
        return False
    question = await call_object(fed, call, group)
    me = await local_group_account(fed, group)
    what, signups, closed, tags = await _call_numbers(question)
    for space_group in await spaces.spaces_of(me):
        await spaces.record_partner_call(space_group, me, uri=question["id"], what=what, signups=signups, closed=closed, hashtags=tags)
    if event.kind == "call.signup":
        for follow in await spaces.joined():
            remote = await RemoteActor.get_or_none(account_id=follow.target_id)
            if follow.group_id == group.id and follow.state == "accepted" and remote is not None:
                await enqueue(update_of(question), actor_uri=fed.urls.group(group.slug), inboxes=[remote.inbox])
    return False


# --- outbound from a partner ---------------------------------------------------------------------


async def _partner_send(fed: Federation, event: Event, group: Group | None, activity: dict) -> None:
    space = await Account.get(id=event.payload["space_id"])
    sender = fed.urls.group(group.slug)
    activity = {"@context": activities.AS_CONTEXT, "actor": sender, "to": [space.uri], **activity}
    local_space = await local_group_of(fed, space)
    if local_space is not None:  # the host's own partner: acted on in-process
        incoming = Incoming(activity=activity, actor=sender, obj=None, object_id=id_of(activity.get("object")))
        handler = {"Add": on_add_moderator, "Remove": on_remove, "Block": on_block}[activity["type"]]
        await handler(fed, incoming)
        return
    remote = await RemoteActor.get_or_none(account_id=space.id)
    if remote is not None:
        await enqueue(activity, actor_uri=sender, inboxes=[remote.inbox])


async def on_moderator_named(fed: Federation, event: Event, group: Group | None) -> None:
    """Tell the space which moderator the partner named (Add to the space's moderators collection)."""
    space = await Account.get(id=event.payload["space_id"])
    moderator = await Account.get(id=event.payload["moderator_id"])
    await _partner_send(fed, event, group, {"id": activities.new_id(fed.urls, group, "add"), "type": "Add",
                                            "object": moderator.uri, "target": f"{space.uri}/moderators"})


async def on_removal(fed: Federation, event: Event, group: Group | None) -> None:
    """A named moderator's removal of a post from the space, signed by the partner group."""
    space = await Account.get(id=event.payload["space_id"])
    moderator = await Account.get(id=event.payload["moderator_id"])
    activity = {"id": activities.new_id(fed.urls, group, "remove"), "type": "Remove", "object": event.payload["uri"],
                "target": space.uri, "attributedTo": moderator.uri}
    if event.payload.get("reason"):
        activity["summary"] = event.payload["reason"]
    await _partner_send(fed, event, group, activity)


async def on_ban(fed: Federation, event: Event, group: Group | None) -> None:
    """A named moderator's ban of an account from the space, signed by the partner group."""
    space = await Account.get(id=event.payload["space_id"])
    moderator = await Account.get(id=event.payload["moderator_id"])
    account = await Account.get(id=event.payload["account_id"])
    activity = {"id": activities.new_id(fed.urls, group, "block"), "type": "Block", "object": account.uri,
                "target": space.uri, "attributedTo": moderator.uri}
    if event.payload.get("reason"):
        activity["summary"] = event.payload["reason"]
    await _partner_send(fed, event, group, activity)


FEATURE = Feature(
    name="spaces",
    inbound={
        ("Add", "*"): First(on_add_moderator),
        ("Remove", "*"): First(on_remove),
        ("Block", "*"): First(on_block),
        ("Undo", "Follow"): First(on_undo_follow),
        ("Undo", "Announce"): First(on_undo_announce),
        ("Create", "*"): First(on_partner_call),
        ("Update", "*"): First(on_partner_call),
    },
    outbound={
        "space.moderator": on_moderator_named,
        "space.removal": on_removal,
        "space.ban": on_ban,
        "call.published": First(share_call),
        "call.signup": First(share_call),
        "call.closed": First(share_call),
    },
    hooks={"reply": through_partner},
)
"""Shared spaces fed, moderated and left by every partner; runs before moderation's and membership's handlers."""
