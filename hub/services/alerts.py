"""Urgent alerts: organisers send one; it is pinned on the group's pages and sent by direct message
to every member who opted in by replying "alerts on" (and opted out with "alerts off"), or switched
them on from their page on the hub. From that page a member may also switch off one campaign's
alerts (:class:`~hub.models.AlertMute`) and keep the group's others.

Events recorded: ``alert.sent`` {alert_id} (the group publishes the alert and sends the direct messages),
``alert.subscription`` {account_id, on} (the member gets a direct message confirming it).
"""

from __future__ import annotations

import re
import unicodedata

from tortoise.transactions import in_transaction

from hub.errors import InvalidInput, PermissionDenied
from hub.models import Account, Alert, AlertMute, AlertSubscription, Campaign, Group, MediaFile
from hub.services import events
from hub.services.members import ORGANISER_ROLES, is_member, require_role

MAX_TEXT = 2000
ON_PHRASES = ("alerts on", "alert on", "alertas sí", "alertas si", "alertas on", "alertes oui", "alertes on",
              "alarm an", "alarme an", "alertas ligadas", "avvisi sì", "avvisi si", "arifa washa", "washa arifa",
              "تنبيهات نعم", "شغل التنبيهات", "شغّل التنبيهات")
OFF_PHRASES = ("alerts off", "alert off", "alertas no", "alertas off", "alertes non", "alertes off",
               "alarm aus", "alarme aus", "alertas desligadas", "avvisi no", "arifa zima", "zima arifa",
               "تنبيهات لا", "أوقف التنبيهات")


def _fold(text: str) -> str:
    cleaned = re.sub(r"(?<!\w)@[\w.@:-]+", " ", text or "")
    return " ".join(unicodedata.normalize("NFKC", cleaned).casefold().split())


def subscription_command(text: str) -> str | None:
    """``"on"`` or ``"off"`` when a message asks for alerts to be switched on or off, else None."""
    folded = _fold(text)
    for answer, phrases in (("off", OFF_PHRASES), ("on", ON_PHRASES)):
        if any(re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", folded) for p in phrases):
            return answer
    return None


async def subscribe(group: Group, account: Account) -> bool:
    """A member opts in to urgent alerts; whether it is new. PermissionDenied for non-members."""
    if not await is_member(group, account):
        raise PermissionDenied(f"only members of {group.slug} can receive its alerts")
    async with in_transaction():
        _, created = await AlertSubscription.get_or_create(group=group, account=account)
        if created and not account.is_local:
            await events.record("alert.subscription", group, account_id=account.id, on=True)
    return created


async def unsubscribe(group: Group, account: Account) -> bool:
    """Opt out; whether there was a subscription."""
    async with in_transaction():
        removed = await AlertSubscription.filter(group=group, account=account).delete()
        if removed and not account.is_local:
            await events.record("alert.subscription", group, account_id=account.id, on=False)
    return bool(removed)


async def subscribers(group: Group, *, campaign: Campaign | None = None) -> list[Account]:
    """Opted-in accounts that are still members (for a campaign's alert: less those who muted that campaign)."""
    rows = await AlertSubscription.filter(
        group=group, account__memberships__group=group, account__memberships__state="accepted",
    ).prefetch_related("account")
    muted = set(await AlertMute.filter(campaign=campaign).values_list("account_id", flat=True)) if campaign else set()
    return list({row.account_id: row.account for row in rows if row.account_id not in muted}.values())


async def set_campaign_alerts(campaign: Campaign, account: Account, *, on: bool) -> bool:
    """Switch one campaign's alerts on or off for a member; whether anything changed. PermissionDenied for non-members."""
    group = await Group.get(id=campaign.group_id)
    if not await is_member(group, account):
        raise PermissionDenied(f"only members of {group.slug} can choose its alerts")
    if on:
        return bool(await AlertMute.filter(campaign=campaign, account=account).delete())
    _, created = await AlertMute.get_or_create(campaign=campaign, account=account)
    return created


async def send_alert(
    group: Group, text: str, *, by: Account | None = None, campaign: Campaign | None = None, image: MediaFile | None = None,
) -> Alert:
    """Send an urgent alert (organisers only): pinned, and event ``alert.sent`` for the direct messages."""
    await require_role(group, by, ORGANISER_ROLES)
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"an alert needs 1-{MAX_TEXT:,} characters of text", field="text")
    if campaign is not None and campaign.group_id != group.id:
        raise InvalidInput("the campaign belongs to another group", field="campaign")
    async with in_transaction():
        count = len(await subscribers(group, campaign=campaign))
        alert = await Alert.create(group=group, campaign=campaign, text=text, pinned=True, recipients=count,
                                   image=image, created_by=by)
        await events.record("alert.sent", group, alert_id=alert.id)
    return alert


async def pinned_alerts(group: Group, *, limit: int = 3) -> list[Alert]:
    """The group's pinned alerts, newest first."""
    return await Alert.filter(group=group, pinned=True).order_by("-id").limit(limit).prefetch_related("image")


async def unpin(alert: Alert, *, by: Account | None = None) -> Alert:
    """Take an alert off the pages (it stays in the record)."""
    group = await Group.get(id=alert.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    alert.pinned = False
    await alert.save(update_fields=["pinned"])
    return alert
