"""Organisers on the wire: the group's announcements, refusals explained, and telling organisers what waits.

One feature module: its outbound event handlers are declared in its ``FEATURE`` (one line of
federation.registry); it has no inbound handlers. It owns ``membership.requested`` and ``post.held``,
which the membership and posts features record without a federation side of their own.

- **Announcements** are the group's own Note (``{group}/objects/announcement/{id}``), sent like its
  calls and alerts: microblogs (Mastodon…) get the group's ``Create``, which they show as a post of an
  account their users follow; group-aware servers (FEP-1b12: Lemmy, Friendica…) get it wrapped in the
  group's ``Announce``. Edits go as ``Update`` and deletion as ``Delete`` (a ``Tombstone``) in the same
  two forms; pinning is ``Add``/``Remove`` on the featured collection. Recipients are the group's
  audience (federation.audience.group_audience): private groups address followers only and skip
  software that leaks followers-only posts.
  A content warning is ``summary`` with ``sensitive: true``; images carry their alt text as ``name``.
- **Refusals explained**: the direct message hub.services.refusals decided to send, with a link to
  the group's page.
- **Organisers told**: join requests, reports, held posts and gathered posts waiting reach each owner,
  admin and moderator by direct message (unless they turned it off) and, with HUB_SMTP_* set, by
  email to the address they gave — each email its own event (``organisers.email``), sent by the
  worker after the transaction, retried when the mail server fails.
"""

from __future__ import annotations

import gettext
import html
from datetime import UTC, datetime
from typing import Any

from federation import activities
from federation.actors import AS_CONTEXT
from federation.audience import group_audience
from federation.campaign_objects import create_of, image_attachment, object_uri, public_addressing, update_of
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import Compose, direct_message
from federation.handling import Feature
from federation.urls import Urls
from hub import mail
from hub.languages import N_, language_for
from hub.models import Account, Announcement, CampaignPost, Event, Group, Membership, Post, Report
from hub.services import announcements, attention, events, refusals

KIND = "announcement"
"""The object kind in ``{group}/objects/{kind}/{id}``."""

# --- announcements ------------------------------------------------------------------------------


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


def content_html(text: str) -> str:
    """Plain text as HTML: paragraphs at blank lines, ``<br>`` at single line breaks, everything escaped."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


def announcement_note(urls: Urls, group: Group, announcement: Announcement, images: list) -> dict[str, Any]:
    """The announcement as the group's ``Note``: content, content warning, images with alt text, addressing."""
    attachments = [item for image in images for item in image_attachment(urls, image)]
    doc: dict[str, Any] = {
        "id": object_uri(urls, group.slug, KIND, announcement.id),
        "type": "Note",
        "attributedTo": urls.group(group.slug),
        "content": content_html(announcement.text),
        "url": urls.group(group.slug),
        "published": _time(announcement.created_at),
        "attachment": attachments,
        "sensitive": bool(announcement.summary),
        **public_addressing(urls, group),
    }
    if announcement.summary:
        doc["summary"] = announcement.summary
    if announcement.edited_at is not None:
        doc["updated"] = _time(announcement.edited_at)
    return doc


def _wrapped(fed: Federation, group: Group, inner: dict[str, Any]) -> dict[str, Any]:
    """FEP-1b12: the group's Announce of its own activity, for group-aware servers."""
    body = {k: v for k, v in inner.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": activities.new_id(fed.urls, group, "announce-own"), "type": "Announce",
            "actor": fed.urls.group(group.slug), "object": body, "to": inner.get("to", []), "cc": inner.get("cc", []),
            "audience": fed.urls.group(group.slug)}


async def _send_both_forms(fed: Federation, group: Group, activity: dict[str, Any]) -> None:
    """The activity itself to microblogs, the group's Announce of it to group-aware servers; once per server."""
    aud = await group_audience(fed, group)
    actor = fed.urls.group(group.slug)
    if aud.get("object"):
        await enqueue(activity, actor_uri=actor, inboxes=aud.get("object"))
    if aud.get("activity"):
        await enqueue(_wrapped(fed, group, activity), actor_uri=actor, inboxes=aud.get("activity"))


async def _announcement(event: Event, group: Group | None) -> tuple[Announcement, Group]:
    announcement = await Announcement.get(id=event.payload["announcement_id"])
    return announcement, group or await Group.get(id=announcement.group_id)


async def document(urls: Urls, group: Group, announcement: Announcement) -> dict[str, Any]:
    """The announcement's Note as served at its id and sent in Create and Update."""
    return announcement_note(urls, group, announcement, await announcements.images_of(announcement))


async def on_announcement_published(fed: Federation, event: Event, group: Group | None) -> None:
    """The group's Create of its Note (Announce of the Create for group-aware servers)."""
    announcement, group = await _announcement(event, group)
    note = await document(fed.urls, group, announcement)
    announcement.object_uri = note["id"]
    await announcement.save(update_fields=["object_uri"])
    await _send_both_forms(fed, group, create_of(note))


async def on_announcement_updated(fed: Federation, event: Event, group: Group | None) -> None:
    """An Update of the Note with the new text, content warning and images."""
    announcement, group = await _announcement(event, group)
    if announcement.state != "published":
        return
    await _send_both_forms(fed, group, update_of(await document(fed.urls, group, announcement)))


async def on_announcement_deleted(fed: Federation, event: Event, group: Group | None) -> None:
    """A Delete of the Note (a Tombstone), as Mastodon sends it."""
    announcement, group = await _announcement(event, group)
    uri = object_uri(fed.urls, group.slug, KIND, announcement.id)
    addressing = public_addressing(fed.urls, group)
    delete = {
        "@context": AS_CONTEXT, "id": f"{uri}#delete", "type": "Delete", "actor": fed.urls.group(group.slug),
        "object": {"id": uri, "type": "Tombstone"}, "to": addressing["to"], "cc": addressing["cc"],
    }
    await _send_both_forms(fed, group, delete)


async def on_announcement_pinned(fed: Federation, event: Event, group: Group | None) -> None:
    """Pinning is an Add (unpinning a Remove) of the Note to the group's featured collection."""
    announcement, group = await _announcement(event, group)
    kind = "Add" if event.kind == "announcement.pinned" else "Remove"
    uri = object_uri(fed.urls, group.slug, KIND, announcement.id)
    activity = activities.collection_change(fed.urls, group, kind, uri, fed.urls.group_featured(group.slug))
    if group.visibility != "public":
        activity["cc"] = []
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


# --- direct messages ----------------------------------------------------------------------------


def _refusal(group: Group, reason: str | None, text: str) -> str | Compose:
    """The explanation of a refusal, written in the reader's language when its reason is known."""
    if reason not in refusals.REASONS:
        return text
    return lambda t, _language, _zone: refusals.explanation(group, reason, t)


async def on_refusal_explained(fed: Federation, event: Event, group: Group | None) -> None:
    """Tell the author why their post was not shared, with the group's page."""
    if group is None:
        return
    await direct_message(fed, group, event.payload["account_id"],
                         _refusal(group, event.payload.get("reason"), event.payload["text"]), fed.urls.group(group.slug))


WHAT_WAITS = {
    "join_requests": N_("%(who)s asks to join."),
    "held_posts": N_("A post by %(who)s is held for approval."),
    "reports": N_("A new report waits for a moderator."),
    "gathered_posts": N_("A post gathered for a campaign waits for approval."),
}
"""What each kind of waiting thing is called in the message to organisers."""


def _headline(t: gettext.NullTranslations, group: Group, kind: str, who: str, count: int) -> str:
    """``Housing Action: @dan@social.example asks to join. (3 waiting)`` in the reader's language."""
    what = t.gettext(WHAT_WAITS[kind]) % {"who": who}
    waiting = " (" + t.ngettext("%(count)d waiting", "%(count)d waiting", count) % {"count": count} + ")" if count > 1 else ""
    return f"{group.name}: {what}{waiting}"


async def _tell_organisers(fed: Federation, group: Group, kind: str, who: str, section: str, *, skip: int | None = None) -> None:
    """Each organiser by direct message (unless turned off) and, with SMTP set, by email; never the person concerned.

    One message per organiser and kind in attention.QUIET_FOR: it says how many wait, so a flood is one message.
    Each organiser reads it in their own language.
    """
    link = f"{fed.urls.base}/console/groups/{group.slug}{section}"
    settings_page = f"{fed.urls.base}/console/groups/{group.slug}/waiting"
    count = getattr(await attention.waiting(group), kind)
    for organiser in await attention.organisers(group):
        if organiser.account.id == skip or not (organiser.direct_messages or organiser.email):
            continue
        if not await attention.due(group, organiser.account, kind):
            continue
        if organiser.direct_messages:
            await direct_message(fed, group, organiser.account.id,
                                 lambda t, _language, _zone: _headline(t, group, kind, who, count) + " "
                                 + t.gettext("Open the console:"), link)
        if organiser.email and fed.settings.smtp is not None:
            t = fed.catalogs.get(await language_for(organiser.account, group))
            headline = _headline(t, group, kind, who, count)
            body = "\n\n".join([
                headline, t.gettext("Open the console: %(link)s") % {"link": link},
                t.gettext("You get this because you help run %(group)s. Change it on %(page)s")
                % {"group": group.name, "page": settings_page},
            ])
            # Not ordered with the group's events: a mail server being down must not hold back its fan-outs.
            await events.record("organisers.email", None, group_slug=group.slug, to=organiser.email,
                                subject=headline, body=body)


def _who(account: Account) -> str:
    return f"@{account.handle}" if account.handle else account.uri


async def on_join_requested(fed: Federation, event: Event, group: Group | None) -> None:
    """A join request waits for approval."""
    membership = await Membership.get_or_none(id=event.payload["membership_id"]).prefetch_related("account")
    if group is None or membership is None or membership.state != "pending":
        return
    await _tell_organisers(fed, group, "join_requests", _who(membership.account), "/members",
                           skip=membership.account_id)


async def on_post_held(fed: Federation, event: Event, group: Group | None) -> None:
    """A post waits for approval."""
    post = await Post.get_or_none(id=event.payload["post_id"]).prefetch_related("author")
    if group is None or post is None or post.state != "held":
        return
    await _tell_organisers(fed, group, "held_posts", _who(post.author), "/posts",
                           skip=post.author_id)


async def on_report_received(fed: Federation, event: Event, group: Group | None) -> None:
    """A report about something in the group waits."""
    report = await Report.get_or_none(id=event.payload["report_id"])
    if group is None or report is None:
        return
    await _tell_organisers(fed, group, "reports", "", "/reports")


async def on_gathered_pending(fed: Federation, event: Event, group: Group | None) -> None:
    """A post gathered from a relay waits for a campaign's organisers."""
    entry = await CampaignPost.get_or_none(id=event.payload["entry_id"])
    if group is None or entry is None or entry.state != "pending":
        return
    await _tell_organisers(fed, group, "gathered_posts", "", "/campaigns")


async def on_email(fed: Federation, event: Event, group: Group | None) -> None:
    """Send one organiser's email (a failure raises, and the worker retries the event)."""
    if fed.settings.smtp is None:
        return
    payload = event.payload
    await mail.send(fed.settings.smtp, payload["to"], payload["subject"], payload["body"])


FEATURE = Feature(
    name="organisers",
    outbound={
        "announcement.published": on_announcement_published,
        "announcement.updated": on_announcement_updated,
        "announcement.deleted": on_announcement_deleted,
        "announcement.pinned": on_announcement_pinned,
        "announcement.unpinned": on_announcement_pinned,
        "refusal.explained": on_refusal_explained,
        "membership.requested": on_join_requested,
        "post.held": on_post_held,
        "report.received": on_report_received,
        "campaign.post_pending": on_gathered_pending,
        "organisers.email": on_email,
    },
)
"""The group's announcements, refusals explained, organisers told (by direct message and email)."""
