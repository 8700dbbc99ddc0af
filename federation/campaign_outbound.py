"""Campaigns on the wire, outbound: the group's calls, alerts and campaign notes, confirmations, relay follows.

The group's own objects go to every member's server as a plain ``Create`` (Mastodon shows posts of
accounts its users follow), once per server (the shared inbox where there is one). Alerts also go
as a direct message to each member who opted in. Handlers join outbound.EVENT_HANDLERS.

Direct messages are written in each recipient's language (:func:`hub.languages.language_for`: their
preference, the language of their posts, else the group's).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable

from federation import activities
from federation.campaign_objects import (
    alert_note, call_page, call_question, campaign_note, create_of, object_uri, update_of, when_of,
)
from federation.context import Federation
from federation.delivery import enqueue
from federation.urls import AS_PUBLIC
from hub.models import Alert, CallToAction, Campaign, Event, Group, RelaySubscription, RemoteActor, Signup
from hub.languages import language_for
from hub.services import alerts, calls

Compose = Callable[[gettext.NullTranslations, str, str | None], str]
"""Writes a message with the reader's translations, language code and time zone (None: not chosen)."""


async def member_inboxes(group: Group) -> list[str]:
    """One inbox per server of the group's remote members (the shared inbox where there is one)."""
    rows = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False,
    )
    return sorted({actor.shared_inbox or actor.inbox for actor in rows})


async def _publish(fed: Federation, group: Group, activity: dict) -> None:
    inboxes = await member_inboxes(group)
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


async def _question(fed: Federation, call: CallToAction, group: Group) -> dict:
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
    await _publish(fed, group, create_of(await _question(fed, call, group)))


async def on_call_closed(fed: Federation, event: Event, group: Group | None) -> None:
    """The closed call goes out again as an Update of the Question (closed, final count)."""
    call = await CallToAction.get(id=event.payload["call_id"])
    group = group or await Group.get(id=call.group_id)
    await _publish(fed, group, update_of(await _question(fed, call, group)))


async def _direct(fed: Federation, group: Group, account_id: int, compose: Compose, link: str | None) -> None:
    """A direct message from the group to one remote account, written in that person's language."""
    actor = await RemoteActor.get_or_none(account_id=account_id, gone=False).prefetch_related("account")
    if actor is None:
        return
    language = await language_for(actor.account, group)
    text = compose(fed.catalogs.get(language), language, actor.account.time_zone)
    sender = fed.urls.group(group.slug)
    note = activities.direct_note(fed.urls, sender, sender, to=actor.uri, handle=actor.account.handle, text=text,
                                  link=link, language=language)
    await enqueue(note, actor_uri=sender, inboxes=[actor.inbox])


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

    await _direct(fed, group, signup.account_id, compose, call_page(fed.urls, group.slug, call.id))


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

    for account in await alerts.subscribers(group):
        await _direct(fed, group, account.id, compose, note["url"])


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

    await _direct(fed, group, event.payload["account_id"], compose, fed.urls.group(group.slug))


async def on_campaign_created(fed: Federation, event: Event, group: Group | None) -> None:
    """The group announces a new campaign as its own public Note."""
    campaign = await Campaign.get(id=event.payload["campaign_id"])
    group = group or await Group.get(id=campaign.group_id)
    await _publish(fed, group, create_of(campaign_note(fed.urls, group, campaign, translations=fed.catalogs.get(group.language))))


async def on_relay_follow(fed: Federation, event: Event, group: Group | None) -> None:
    """The instance actor follows the relay: Follow of Public (LitePub style, as Mastodon and Pleroma send it)."""
    relay = await RelaySubscription.get(id=event.payload["relay_id"])
    follow = {
        "@context": activities.AS_CONTEXT, "id": relay.follow_uri, "type": "Follow", "actor": fed.urls.instance_actor,
        "object": AS_PUBLIC, "to": [relay.actor_uri],
    }
    await enqueue(follow, actor_uri=fed.urls.instance_actor, inboxes=[relay.inbox])


async def on_relay_undo(fed: Federation, event: Event, group: Group | None) -> None:
    """The instance actor stops following the relay."""
    relay = await RelaySubscription.get(id=event.payload["relay_id"])
    undo = {
        "@context": activities.AS_CONTEXT, "id": f"{relay.follow_uri}/undo", "type": "Undo", "actor": fed.urls.instance_actor,
        "to": [relay.actor_uri],
        "object": {"id": relay.follow_uri, "type": "Follow", "actor": fed.urls.instance_actor, "object": AS_PUBLIC},
    }
    await enqueue(undo, actor_uri=fed.urls.instance_actor, inboxes=[relay.inbox])


OUTBOUND_HANDLERS = {
    "call.published": on_call_published,
    "call.closed": on_call_closed,
    "call.signup": on_call_signup,
    "alert.sent": on_alert_sent,
    "alert.subscription": on_alert_subscription,
    "campaign.created": on_campaign_created,
    "relay.follow": on_relay_follow,
    "relay.undo": on_relay_undo,
}
"""Campaign event handlers, merged into outbound.EVENT_HANDLERS."""
