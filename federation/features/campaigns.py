"""Campaigns on the wire: answers to the group's own objects, members' posts, and the group's calls, alerts, campaigns.

- :func:`route_reply` (hook point ``reply``) runs in the posts feature's Create before a post is matched to groups: a reply
  to one of the group's own objects (a call, an alert) is an answer, not a group post — "I'm in"
  (a keyword, or a poll vote: a Note whose ``name`` is the option, in reply to the Question) signs
  the author up; "alerts on"/"alerts off" (in such a reply, or in a direct message to the group)
  switches urgent alerts.
- :func:`after_group_post` (hook point ``group_post``) runs after a member's post is stored in a group: its hashtags gather it
  into running campaigns, ``need: …``/``offer: …`` lines put it on the board, "alerts on" opts in.
- :func:`after_post_edit` (hook point ``post_edit``) runs after an author's Update: campaign entries and
  board items of the post say what the post now says (a need edited out leaves the board).
- Outbound, the group's own objects go to every member's server as a plain ``Create`` (Mastodon
  shows posts of accounts its users follow), once per server (the shared inbox where there is one).
  Alerts also go as a direct message to each member who opted in. Direct messages are written in
  each recipient's language (:func:`hub.languages.language_for`: their preference, the language of
  their posts, else the group's); the group's own objects in the group's language.
"""

from __future__ import annotations

import gettext

from federation.audience import group_audience
from federation.campaign_objects import (
    alert_note, attachments_of, call_page, call_question, campaign_note, create_of, local_object, object_uri,
    post_hashtags, text_lines_off_loop, update_of, when_of,
)
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import direct_message
from federation.handling import Feature, Incoming, Outcome, done, ignored
from federation.local_groups import local_group_account
from federation.remote import account_for
from federation.objects import clean_object
from federation.vocab import audience, content_and_language, id_of, ids, is_public, mentions
from hub.errors import Conflict, HubError, PermissionDenied
from hub.models import Account, Alert, CallToAction, Campaign, Event, Group, Post, Signup
from hub.services import alerts, board, calls, campaigns

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
    text = await text_lines_off_loop(content)
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
    text = await text_lines_off_loop(content)
    tags = post_hashtags(obj, text)
    notes = []
    partner = await local_group_account(fed, group) if tags else None
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


async def after_post_edit(fed: Federation, author: Account, obj: dict) -> list[str]:
    """An author's Update: campaign entries and board items of the post say what the post now says."""
    content, _ = content_and_language(obj)
    text = await text_lines_off_loop(content)
    notes = []
    if await campaigns.follow_edit(author, obj["id"], (await clean_object(obj)).content_html):
        notes.append("campaign entries follow the edit")
    stated = board.parse_post(text, post_hashtags(obj, text))
    for post in await Post.filter(uri=obj["id"], author=author, via_id=None).prefetch_related("group"):
        if await board.follow_edit(post.group, author, post.uri, stated):
            notes.append(f"{post.group.slug}: board follows the edit")
    return notes


# --- outbound: the group's own objects -------------------------------------------------------


async def _publish(fed: Federation, group: Group, activity: dict) -> None:
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


async def call_object(fed: Federation, call: CallToAction, group: Group) -> dict:
    """The call as the group's Question, with its current count."""
    counted = (await calls.status(call)).counted
    campaign = await Campaign.get_or_none(id=call.campaign_id) if call.campaign_id else None
    image = await call.image
    return call_question(fed.urls, group, call, counted=counted, campaign=campaign, image=image,
                         translations=fed.catalogs.get(group.language))


async def on_call_published(fed: Federation, event: Event, group: Group | None) -> None:
    """The group publishes the call as its Question (poll "I'm in") to every member's server."""
    call = await CallToAction.get(id=event.payload["call_id"])
    group = group or await Group.get(id=call.group_id)
    call.object_uri = object_uri(fed.urls, group.slug, "call", call.id)
    await call.save(update_fields=["object_uri"])
    await _publish(fed, group, create_of(await call_object(fed, call, group)))


async def on_call_closed(fed: Federation, event: Event, group: Group | None) -> None:
    """The closed call goes out again as an Update of the Question (closed, final count)."""
    call = await CallToAction.get(id=event.payload["call_id"])
    group = group or await Group.get(id=call.group_id)
    await _publish(fed, group, update_of(await call_object(fed, call, group)))


async def on_call_signup(fed: Federation, event: Event, group: Group | None) -> None:
    """A direct message confirming someone's "I'm in", with the count, the time and the call's page."""
    signup = await Signup.get_or_none(id=event.payload["signup_id"])
    if signup is None or group is None:
        return
    call = await CallToAction.get(id=signup.call_id)
    status = await calls.status(call)

    def compose(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        when = when_of(call, language, zone)
        if not signup.member:
            return t.gettext("Thanks! You are not a member of %(group)s, so your answer to “%(what)s” is listed apart.") % {
                "group": group.name, "what": call.what}
        text = t.ngettext("You're in: %(what)s. %(count)d of %(needed)d person signed up.",
                          "You're in: %(what)s. %(count)d of %(needed)d people signed up.", call.needed) % {
            "what": call.what, "count": status.counted, "needed": call.needed}
        return text + (" " + t.gettext("When: %(when)s") % {"when": when} + "." if when else "")

    await direct_message(fed, group, signup.account_id, compose, call_page(fed.urls, group.slug, call.id))


async def on_alert_sent(fed: Federation, event: Event, group: Group | None) -> None:
    """The alert as the group's public Note to members' servers, and a direct message to each opted-in member."""
    alert = await Alert.get(id=event.payload["alert_id"])
    group = group or await Group.get(id=alert.group_id)
    campaign = await Campaign.get_or_none(id=alert.campaign_id) if alert.campaign_id else None
    note = alert_note(fed.urls, group, alert, campaign=campaign, image=await alert.image,
                      translations=fed.catalogs.get(group.language))
    alert.object_uri = note["id"]
    await alert.save(update_fields=["object_uri"])
    await _publish(fed, group, create_of(note))

    def compose(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        return t.gettext("Urgent from %(group)s: %(text)s") % {"group": group.name, "text": alert.text}

    for account in await alerts.subscribers(group, campaign=campaign):
        await direct_message(fed, group, account.id, compose, note["url"])


async def on_alert_subscription(fed: Federation, event: Event, group: Group | None) -> None:
    """Confirm "alerts on" / "alerts off" by direct message."""
    if group is None:
        return
    switched_on = bool(event.payload.get("on"))

    def compose(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        if switched_on:
            return t.gettext("Alerts on: you will get urgent alerts from %(group)s by direct message. "
                             "Reply “alerts off” to stop.") % {"group": group.name}
        return t.gettext("Alerts off: you will no longer get urgent alerts from %(group)s.") % {"group": group.name}

    await direct_message(fed, group, event.payload["account_id"], compose, fed.urls.group(group.slug))


async def on_campaign_created(fed: Federation, event: Event, group: Group | None) -> None:
    """The group announces a new campaign as its own public Note."""
    campaign = await Campaign.get(id=event.payload["campaign_id"])
    group = group or await Group.get(id=campaign.group_id)
    await _publish(fed, group, create_of(campaign_note(fed.urls, group, campaign, translations=fed.catalogs.get(group.language))))


FEATURE = Feature(
    name="campaigns",
    outbound={
        "call.published": on_call_published,
        "call.closed": on_call_closed,
        "call.signup": on_call_signup,
        "alert.sent": on_alert_sent,
        "alert.subscription": on_alert_subscription,
        "campaign.created": on_campaign_created,
    },
    hooks={"reply": route_reply, "group_post": after_group_post, "post_edit": after_post_edit},
)
"""Calls, alerts and campaigns: answers to the group's own objects come in through posts' hook points."""
