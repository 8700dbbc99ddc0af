"""Campaigns on the wire, inbound: answers to the group's own objects, members' posts, relays.

- :func:`route_reply` runs in ``processing.on_create`` before a post is matched to groups: a reply
  to one of the group's own objects (a call, an alert) is an answer, not a group post — "I'm in"
  (a keyword, or a poll vote: a Note whose ``name`` is the option, in reply to the Question) signs
  the author up; "alerts on"/"alerts off" (in such a reply, or in a direct message to the group)
  switches urgent alerts.
- :func:`after_group_post` runs after a member's post is stored in a group: its hashtags gather it
  into running campaigns, ``need: …``/``offer: …`` lines put it on the board, "alerts on" opts in.
- Relays: an ``Accept`` of the instance actor's Follow marks the relay subscribed; an ``Announce``
  by a subscribed relay is a public post of the wider fediverse, fetched from its own origin and,
  when it carries a running campaign's hashtag, held for the campaign's organisers. Other Accepts
  and Announces go on to the collaboration handlers, unchanged.
"""

from __future__ import annotations

import re

from federation import collaboration
from federation.campaign_objects import attachments_of, local_object
from federation.context import Federation
from federation.errors import FetchError
from federation.fetch import fetch_document, same_host
from federation.handling import ANY, Incoming, Outcome, done, ignored
from federation.remote import account_for
from federation.sanitize import plain_text, sanitize_html
from federation.vocab import POST_TYPES, audience, content_and_language, hashtags, id_of, ids, is_public, mentions, parse_time, type_of
from hub.clock import now
from hub.errors import Conflict, HubError, PermissionDenied
from hub.models import Account, CallToAction, Group, Post
from hub.services import alerts, board, calls, campaigns, relays

_BREAKS = re.compile(r"(?i)<br\s*/?>|</p\s*>|</li\s*>")


def text_lines(content_html: str) -> str:
    """The text of remote HTML with its line breaks kept (one line per paragraph or ``<br>``)."""
    return "\n".join(line for line in (plain_text(part, max_length=5000) for part in _BREAKS.split(content_html or "")) if line)


def post_hashtags(obj: dict, text: str) -> list[str]:
    """Hashtags of a post: its Hashtag tags and any ``#word`` written in its text."""
    return list(dict.fromkeys(hashtags(obj) + campaigns.hashtags_in_text(text)))


# --- answers to the group's own objects ---------------------------------------------------------


async def _answer_call(fed: Federation, item: Incoming, obj: dict, call: CallToAction, text: str) -> Outcome:
    vote = calls.is_poll_vote(obj.get("name") if isinstance(obj.get("name"), str) else None, text)
    if not vote and not calls.is_signup_text(text):
        group = await Group.get(id=call.group_id)
        command = alerts.subscription_command(text)
        if command is not None:
            return await _switch_alerts(fed, group, item.actor, command)
        return ignored(f"a reply to call #{call.id} that says neither “I'm in” nor “alerts on/off”")
    account = await account_for(fed, item.actor)
    try:
        result = await calls.sign_up(call, account, via="vote" if vote else "reply", activity_uri=item.activity.get("id"))
    except (Conflict, PermissionDenied) as exc:
        return ignored(f"call #{call.id}: {exc}")
    state = "signed up" if result.created else "already signed up"
    return done(f"call #{call.id}: {state} by {'vote' if vote else 'reply'}" + ("" if result.signup.member else " (not a member)"))


async def _switch_alerts(fed: Federation, group: Group, actor: str, command: str) -> Outcome:
    account = await account_for(fed, actor)
    try:
        if command == "on":
            changed = await alerts.subscribe(group, account)
        else:
            changed = await alerts.unsubscribe(group, account)
    except PermissionDenied as exc:
        return ignored(str(exc))
    return done(f"{group.slug}: alerts {command}" + ("" if changed else " (no change)"))


async def route_reply(fed: Federation, item: Incoming, obj: dict) -> Outcome | None:
    """Handle a reply to the group's own object or an alerts command sent to a group; None: a post like any other."""
    content, _ = content_and_language(obj)
    text = text_lines(content)
    ref = local_object(fed.urls, id_of(obj.get("inReplyTo")))
    if ref is not None:
        group = await Group.get_or_none(slug=ref.slug)
        if group is None:
            return ignored("a reply to an object of an unknown group")
        if ref.kind == "call":
            call = await CallToAction.get_or_none(id=ref.id, group=group)
            if call is None:
                return ignored(f"a reply to an unknown call #{ref.id}")
            return await _answer_call(fed, item, obj, call, text)
        command = alerts.subscription_command(text)
        if command is not None:
            return await _switch_alerts(fed, group, item.actor, command)
        return ignored(f"a reply to the group's {ref.kind} is not a group post")
    command = alerts.subscription_command(text)
    if command is None:
        return None
    to, cc = ids(obj.get("to")) or ids(item.activity.get("to")), ids(obj.get("cc")) or ids(item.activity.get("cc"))
    if is_public(to) or is_public(cc):
        return None
    slugs = {fed.urls.group_slug(a) for a in audience(item.activity, obj)} | {fed.urls.group_slug(h) for h, _ in mentions(obj) if h}
    groups = [g for g in [await Group.get_or_none(slug=s) for s in slugs if s] if g is not None]
    if not groups:
        return None
    outcomes = [await _switch_alerts(fed, group, item.actor, command) for group in groups]
    return done("; ".join(o.reason or o.state for o in outcomes))


# --- members' posts -----------------------------------------------------------------------------


async def after_group_post(fed: Federation, group: Group, post: Post, obj: dict) -> list[str]:
    """A member's post stored in ``group``: gather it into campaigns, put needs and offers on the board."""
    content, _ = content_and_language(obj)
    text = text_lines(content)
    tags = post_hashtags(obj, text)
    notes = []
    partner = await collaboration.local_group_account(fed, group) if tags else None
    gathered = await campaigns.gather_member_post(post, tags, attachments=attachments_of(obj), partner=partner)
    if gathered:
        notes.append(f"gathered by {len(gathered)} campaign(s)")
    stated = board.parse_post(text, tags)
    # The board is public: held and members-only posts stay off it.
    if stated and post.state == "published" and post.visibility in ("public", "unlisted"):
        matching = await campaigns.campaigns_for(tags, group=group)
        if not matching:
            matching = [c for c in await campaigns.list_campaigns(group) if campaigns.is_running(c)][:1]
        author = await Account.get(id=post.author_id)
        for kind, what in stated:
            try:
                await board.add_item(group, author, kind, what, post_uri=post.uri, url=post.url,
                                     campaign=matching[0] if matching else None)
                notes.append(f"{kind} on the board")
            except HubError:
                continue
    return notes


# --- relays -------------------------------------------------------------------------------------


async def _relay_answer(fed: Federation, item: Incoming, accepted: bool) -> Outcome | None:
    if await relays.answered(item.object_id, item.actor, accepted=accepted) is None:
        return None
    return done(f"relay {'accepted' if accepted else 'rejected'} our Follow")


async def on_accept(fed: Federation, item: Incoming) -> Outcome:
    """A relay accepted the instance actor's Follow; any other Accept goes to the collaboration handler."""
    return await _relay_answer(fed, item, True) or await collaboration.on_accept(fed, item)


async def on_reject(fed: Federation, item: Incoming) -> Outcome:
    """A relay rejected the instance actor's Follow; any other Reject goes to the collaboration handler."""
    return await _relay_answer(fed, item, False) or await collaboration.on_reject(fed, item)


async def _relayed_object(fed: Federation, item: Incoming) -> dict:
    """The post a relay announced, fetched from its own origin (the relay's copy is only a reference)."""
    target = item.object_id
    if item.obj is not None and type_of(item.obj) in ("Create", "Update"):
        target = id_of(item.obj.get("object")) or target
    if not target:
        raise FetchError("the Announce names no object")
    if fed.urls.is_local(target):
        raise FetchError("an Announce of this hub's own object")
    return await fetch_document(fed.client, target, sign=await fed.instance_auth(), local_host=fed.urls.host)


async def on_relay_announce(fed: Federation, item: Incoming) -> Outcome:
    """A subscribed relay announced a public post: campaigns whose hashtag it carries hold it for organisers."""
    if item.obj is not None and type_of(item.obj) in ("Delete", "Undo", "Follow", "Accept"):
        return ignored(f"a relayed {type_of(item.obj)} is not a post")
    obj = await _relayed_object(fed, item)
    author_uri = id_of(obj.get("attributedTo"))
    if type_of(obj) not in POST_TYPES or not author_uri or not same_host(author_uri, obj["id"]):
        return ignored("the relayed object is not a post by an actor of its own server")
    if not (is_public(ids(obj.get("to"))) or is_public(ids(obj.get("cc")))):
        return ignored("the relayed post is not public")
    content, language = content_and_language(obj)
    text = text_lines(content)
    tags = post_hashtags(obj, text)
    if not await campaigns.campaigns_for(tags):
        return ignored("the relayed post carries no running campaign's hashtag")
    author = await account_for(fed, author_uri)
    url = obj.get("url") if isinstance(obj.get("url"), str) and obj["url"].startswith(("http://", "https://")) else None
    gathered = await campaigns.gather_relay_post(
        author, uri=obj["id"], url=url, content_html=sanitize_html(content), published_at=parse_time(obj.get("published")) or now(),
        hashtags=tags, attachments=attachments_of(obj), language=language,
    )
    return done(f"relayed post gathered by {len(gathered)} campaign(s)" if gathered else "relayed post already gathered or refused")


async def on_announce(fed: Federation, item: Incoming) -> Outcome:
    """Announces by a subscribed relay feed campaigns; any other Announce goes to the collaboration handler."""
    if await relays.accepted_relay(item.actor) is not None:
        return await on_relay_announce(fed, item)
    return await collaboration.on_announce(fed, item)


INBOUND_HANDLERS = {
    ("Accept", ANY): on_accept,
    ("Reject", ANY): on_reject,
    ("Announce", ANY): on_announce,
}
"""Campaign handlers, merged into processing.HANDLERS after the collaboration handlers they fall back to."""
