"""Public campaign pages: a group's campaigns, a campaign (gathered posts, calls, board, impact), a call,
the board of needs and offers, the campaign's Atom feed and impact chart, and the group's own objects.

Each handler parses the path, calls services and renders; pages of private groups are not public.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation.campaign_endpoints import FEATURE_PAGES, object_document
from federation.campaign_objects import OBJECT_KINDS
from federation.responses import wants_activity_json
from federation.sanitize import plain_text
from hub.errors import Conflict, NotFound, PermissionDenied
from hub.models import Alert, Campaign, Group
from hub.services import alerts, board, calls, campaigns, groups
from web.campaign_chart import impact_svg
from web.i18n import gettext_for
from web.csrf import checked_form
from web.rendering import flash, render, report_error
from web.sessions import require_account

FEED_SIZE = 30
ATOM_NS = "http://www.w3.org/2005/Atom"


async def public_group(request: Request) -> Group:
    """The group of the path; NotFound for private groups (their campaigns are for members)."""
    group = await groups.get_group(request.path_params["slug"])
    if group.visibility != "public":
        raise NotFound("this group's campaigns are for its members only")
    return group


async def _campaign(request: Request) -> tuple[Group, Campaign]:
    group = await public_group(request)
    return group, await campaigns.get_campaign(group, request.path_params["campaign"])


def impact_bars(request: Request, impact: campaigns.Impact) -> list[tuple[str, int]]:
    """The impact numbers with translated labels, in the order pages and chart show them."""
    _ = gettext_for(request)
    return [
        (_("People signed up"), impact.signups),
        (_("Needs met"), impact.needs_met),
        (_("Calls filled"), impact.calls_filled),
        (_("Posts gathered"), impact.posts_gathered),
        (_("Partner groups"), impact.partner_groups),
    ]


def percent(progress: int, target: int | None) -> int:
    """Progress as a whole percentage of the target (0-100; 0 without a target)."""
    if not target:
        return 0
    return max(0, min(100, round(100 * progress / target)))


async def campaigns_index(request: Request) -> Response:
    """GET /groups/{slug}/campaigns: the group's campaigns."""
    group = await public_group(request)
    rows = await campaigns.list_campaigns(group)
    return await render(request, "campaign/index.html", group=group, campaigns=rows,
                        running={c.id for c in rows if campaigns.is_running(c)})


async def campaign_page(request: Request) -> Response:
    """GET /groups/{slug}/campaigns/{campaign}: goal, alerts, fundraising, impact, calls, board, gathered posts."""
    group, campaign = await _campaign(request)
    impact = await campaigns.impact(campaign)
    open_calls = []
    for call in await calls.list_calls(group, campaign=campaign):
        open_calls.append(await calls.status(call))
    before = request.query_params.get("before", "")
    gathered = await campaigns.gathered(campaign, limit=20, before_id=int(before) if before.isdigit() else None)
    alerts_shown = [a for a in await alerts.pinned_alerts(group) if a.campaign_id in (None, campaign.id)]
    return await render(
        request, "campaign/campaign.html", group=group, campaign=campaign, impact=impact,
        bars=impact_bars(request, impact), calls=open_calls, gathered=gathered,
        needs=await board.items(group, kind="need", campaign=campaign),
        offers=await board.items(group, kind="offer", campaign=campaign),
        alerts=alerts_shown, running=campaigns.is_running(campaign),
        progress_percent=percent(campaign.fundraising_progress, campaign.fundraising_target),
        next_before=gathered[-1].id if len(gathered) == 20 else None,
        handle=f"@{group.slug}@{request.app.state.settings.domain}",
    )


async def impact_chart(request: Request) -> Response:
    """GET /groups/{slug}/campaigns/{campaign}/impact.svg: the impact numbers as a bar chart."""
    group, campaign = await _campaign(request)
    _ = gettext_for(request)
    bars = impact_bars(request, await campaigns.impact(campaign))
    description = ", ".join(f"{label}: {value}" for label, value in bars)
    svg = impact_svg(_("Impact of %(name)s") % {"name": campaign.name}, bars, description=description)
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie", "X-Content-Type-Options": "nosniff",
    })


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def campaign_feed(request: Request) -> Response:
    """GET /groups/{slug}/campaigns/{campaign}/feed.atom: the gathered posts (newest 30)."""
    group, campaign = await _campaign(request)
    urls = request.app.state.urls
    page = f"{urls.group(group.slug)}/campaigns/{campaign.slug}"
    items = await campaigns.gathered(campaign, limit=FEED_SIZE)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(feed, "id").text = f"{page}/feed.atom"
    ET.SubElement(feed, "title").text = f"{campaign.name} · {group.name}"
    ET.SubElement(feed, "updated").text = _iso(items[0].published_at if items else campaign.created_at)
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": page})
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": f"{page}/feed.atom"})
    if campaign.goal:
        ET.SubElement(feed, "subtitle").text = campaign.goal
    for entry_row in items:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = entry_row.uri
        text = plain_text(entry_row.content_html, max_length=80)
        author_name = entry_row.author.display_name or entry_row.author.handle or entry_row.author.uri
        ET.SubElement(entry, "title").text = text or author_name
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": entry_row.url or entry_row.uri})
        ET.SubElement(entry, "published").text = _iso(entry_row.published_at)
        ET.SubElement(entry, "updated").text = _iso(entry_row.published_at)
        author = ET.SubElement(entry, "author")
        ET.SubElement(author, "name").text = author_name
        ET.SubElement(author, "uri").text = entry_row.author.uri
        ET.SubElement(entry, "content", {"type": "html"}).text = entry_row.content_html
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


async def call_page(request: Request) -> Response:
    """GET /groups/{slug}/calls/{call_id}: what, where, when, who signed up and how many are still needed."""
    group = await public_group(request)
    call = await calls.get_call(request.path_params["call_id"], group=group)
    campaign = await Campaign.get_or_none(id=call.campaign_id) if call.campaign_id else None
    return await render(
        request, "campaign/call.html", group=group, call=call, campaign=campaign, call_status=await calls.status(call),
        image=await call.image, handle=f"@{group.slug}@{request.app.state.settings.domain}",
    )


async def call_signup(request: Request) -> Response:
    """POST /groups/{slug}/calls/{call_id}/signup: a signed-in fediverse account says "I'm in" on the web."""
    account = await require_account(request)
    await checked_form(request)
    group = await public_group(request)
    call = await calls.get_call(request.path_params["call_id"], group=group)
    _ = gettext_for(request)
    try:
        result = await calls.sign_up(call, account, via="web")
    except (Conflict, PermissionDenied) as exc:
        report_error(request, exc)
    else:
        flash(request, _("You are signed up.") if result.signup.member else _("Thanks! Your answer is listed apart: you are not a member."))
    return RedirectResponse(f"/groups/{group.slug}/calls/{call.id}", status_code=303)


async def board_page(request: Request) -> Response:
    """GET /groups/{slug}/board: open needs and offers, and what was met lately."""
    group = await public_group(request)
    met = (await board.items(group, state="met"))[:20]
    return await render(
        request, "campaign/board.html", group=group, needs=await board.items(group, kind="need"),
        offers=await board.items(group, kind="offer"), met=met, alerts=await alerts.pinned_alerts(group),
        handle=f"@{group.slug}@{request.app.state.settings.domain}",
    )


async def group_object(request: Request) -> Response:
    """GET /groups/{slug}/objects/{kind}/{id}: the group's own object as AS2, or its HTML page for browsers."""
    kind, ident = request.path_params["kind"], request.path_params["object_id"]
    group = await Group.get_or_none(slug=request.path_params["slug"])
    if group is None or (kind not in OBJECT_KINDS and kind not in FEATURE_PAGES):
        if wants_activity_json(request):
            return Response(status_code=404)
        raise NotFound("there is no such object")
    if wants_activity_json(request):
        return await object_document(request, group, kind, ident)
    base = f"/groups/{group.slug}"
    if kind in FEATURE_PAGES:
        return RedirectResponse(FEATURE_PAGES[kind](request.app.state.urls, group.slug, ident), status_code=303)
    if kind == "call":
        return RedirectResponse(f"{base}/calls/{ident}", status_code=303)
    if kind == "announcement":
        return RedirectResponse(f"{base}#announcement-{ident}", status_code=303)
    if kind == "campaign":
        campaign = await Campaign.get_or_none(id=ident, group=group)
        return RedirectResponse(f"{base}/campaigns/{campaign.slug}" if campaign else base, status_code=303)
    alert = await Alert.get_or_none(id=ident, group=group).prefetch_related("campaign")
    target = f"{base}/campaigns/{alert.campaign.slug}" if alert is not None and alert.campaign else f"{base}/board"
    return RedirectResponse(target, status_code=303)
