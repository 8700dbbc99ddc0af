"""The organisers' campaign console: campaigns and fundraising, gathered posts to approve, calls, alerts, the board.

Same rules as ``web.console``: signed-in organiser (or moderator for moderation), CSRF-checked
form, one service call, post/redirect/get with a one-time notice. Images need alt text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import HubError, ImageRejected, InvalidInput, NotFound
from hub.models import Alert, CampaignPost, MediaFile
from hub.services import alerts, board, calls, campaigns, media
from hub.services.members import MODERATOR_ROLES, ORGANISER_ROLES
from hub.timezones import zone_names
from web.console import back as console_back
from web.console import carry_out, console_group, report_error
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for, ngettext_for
from web.rendering import flash, render

UPLOAD_SLACK = 64 * 1024


def routes(group_console: str) -> list[Route]:
    """The campaign console's routes under ``/console/groups/{slug}``."""
    base = f"{group_console}/campaigns"
    return [
        Route(base, console_page, name="console_campaigns"),
        Route(base, create_campaign, methods=["POST"], name="console_campaign_create"),
        Route(f"{base}/{{campaign}}/fundraising", fundraising, methods=["POST"], name="console_campaign_fundraising"),
        Route(f"{base}/gathered/{{entry_id:int}}/{{action}}", moderate, methods=["POST"], name="console_gathered"),
        Route(f"{base}/calls", create_call, methods=["POST"], name="console_call_create"),
        Route(f"{base}/calls/{{call_id:int}}/close", close_call, methods=["POST"], name="console_call_close"),
        Route(f"{base}/alerts", send_alert, methods=["POST"], name="console_alert_send"),
        Route(f"{base}/alerts/{{alert_id:int}}/unpin", unpin_alert, methods=["POST"], name="console_alert_unpin"),
        Route(f"{base}/board/{{item_id:int}}/met", board_met, methods=["POST"], name="console_board_met"),
        Route(f"{base}/board/{{item_id:int}}/remove", board_remove, methods=["POST"], name="console_board_remove"),
    ]


SECTION = "/campaigns"


def back(request: Request) -> RedirectResponse:
    """Post/redirect/get to the campaign console."""
    return console_back(request, SECTION)


def _int(value: object, default: int | None = None) -> int | None:
    text = str(value or "").strip().replace(",", "")
    if not text:
        return default
    if not text.isdigit() or len(text) > 10:
        raise InvalidInput(f"{text!r} is not a whole number")
    return int(text)


def _date(value: object) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:32])
    except ValueError:
        raise InvalidInput(f"{text[:32]!r} is not a date (YYYY-MM-DD)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def console_page(request: Request) -> Response:
    """GET /console/groups/{slug}/campaigns."""
    account, group, role = await console_group(request)
    rows = await campaigns.list_campaigns(group)
    pending = {c.id: await campaigns.gathered(c, state="pending", limit=50) for c in rows}
    approved = {c.id: await campaigns.gathered(c, limit=10) for c in rows}
    open_calls = [await calls.status(c) for c in await calls.list_calls(group, state="open")]
    return await render(
        request, "campaign/console.html", group=group, role=role, section="campaigns", campaigns=rows, zone_names=zone_names(),
        pending=pending, approved=approved, calls=open_calls, matches=await board.suggest_matches(group),
        needs=await board.items(group, kind="need"), offers=await board.items(group, kind="offer"),
        alerts=await alerts.pinned_alerts(group, limit=10), subscribers=len(await alerts.subscribers(group)),
        kinds=calls.KINDS,
    )


async def uploaded_image(request: Request, form) -> MediaFile | None:
    """The uploaded image with its alt text, checked and cleaned; None when no file was chosen."""
    upload = form.get("image")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    data = await upload.read(media.MAX_BYTES + 1)
    if not data:
        return None
    try:
        return await media.store_image(request.app.state.settings.data_dir, data, str(form.get("alt", "")))
    except InvalidInput as exc:
        raise UploadRejected(str(exc), field="image" if isinstance(exc, ImageRejected) else "alt") from None


async def upload_form(request: Request):
    """The CSRF-checked form of a request that may carry an image (refused early when larger than 5 MiB)."""
    _ = gettext_for(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > media.MAX_BYTES + UPLOAD_SLACK:
        raise UploadRejected(_("The image is larger than 5 MiB."))
    return await checked_form(request, max_part_size=media.MAX_BYTES + UPLOAD_SLACK)


async def create_campaign(request: Request) -> Response:
    """POST …/campaigns: a new campaign with hashtags, goal, dates, donation page and target."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    create = campaigns.create_campaign(
        group, str(form.get("slug", "")).strip().lower()[:64], str(form.get("name", ""))[:201],
        hashtags=str(form.get("hashtags", "")).replace(",", " ").split()[:20], goal=str(form.get("goal", ""))[:campaigns.MAX_GOAL + 1],
        starts_at=_date(form.get("starts")), ends_at=_date(form.get("ends")),
        donation_url=str(form.get("donation_url", ""))[:1024] or None, target=_int(form.get("target")),
        unit=str(form.get("unit", ""))[:16], by=account,
    )
    return await carry_out(request, create, _("The campaign was created and announced to the members."), SECTION)


async def fundraising(request: Request) -> Response:
    """POST …/campaigns/{campaign}/fundraising: the amount raised (and target) as organisers report it."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    campaign = await campaigns.get_campaign(group, request.path_params["campaign"])
    update = campaigns.set_fundraising(campaign, _int(form.get("progress"), 0), target=_int(form.get("target")), by=account)
    return await carry_out(request, update, _("The fundraising figures were saved."), SECTION)


async def moderate(request: Request) -> Response:
    """POST …/campaigns/gathered/{entry_id}/{action}: approve, hide, or block the author."""
    account, group, _role = await console_group(request, MODERATOR_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    entry = await CampaignPost.get_or_none(id=request.path_params["entry_id"], campaign__group=group)
    if entry is None:
        raise NotFound("no such gathered post in this group")
    action = request.path_params["action"]
    messages = {"approve": _("The post is shown on the campaign page."), "hide": _("The post is hidden."),
                "block": _("The author is blocked and their posts are hidden.")}
    return await carry_out(request, campaigns.moderate_gathered(entry, action, by=account), messages.get(action, _("Done.")), SECTION)


async def _campaign_and_image(request: Request, group, form):
    """The campaign a call or alert belongs to (if the form names one) and its checked image (if uploaded)."""
    campaign_slug = str(form.get("campaign", "")).strip()
    campaign = await campaigns.get_campaign(group, campaign_slug) if campaign_slug else None
    return campaign, await uploaded_image(request, form)


async def create_call(request: Request) -> Response:
    """POST …/campaigns/calls: publish a call (what, where, when, how many), optionally with an image and its alt text."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    try:
        campaign, image = await _campaign_and_image(request, group, form)
        await calls.create_call(
            group, what=str(form.get("what", "")), where=str(form.get("where", "")), when=str(form.get("when", "")),
            time_zone=str(form.get("time_zone", "")) or None,
            details=str(form.get("details", ""))[:5001], needed=_int(form.get("needed"), 0) or 0,
            kind=str(form.get("kind", "shift")), campaign=campaign,
            non_members="ignore" if form.get("non_members") == "ignore" else "apart", image=image, by=account,
        )
    except HubError as exc:
        report_error(request, exc)
        return back(request)
    flash(request, _("The call was published and sent to the members."))
    return back(request)


async def close_call(request: Request) -> Response:
    """POST …/campaigns/calls/{call_id}/close."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    call = await calls.get_call(request.path_params["call_id"], group=group)
    return await carry_out(request, calls.close_call(call, by=account), _("The call is closed."), SECTION)


async def send_alert(request: Request) -> Response:
    """POST …/campaigns/alerts: an urgent alert, pinned and sent to members who opted in."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    try:
        campaign, image = await _campaign_and_image(request, group, form)
        alert = await alerts.send_alert(group, str(form.get("text", "")), by=account, campaign=campaign, image=image)
    except HubError as exc:
        report_error(request, exc)
        return back(request)
    flash(request, ngettext_for(request)("The alert is pinned and goes to %(count)d member who asked for alerts.",
                                         "The alert is pinned and goes to %(count)d members who asked for alerts.",
                                         alert.recipients) % {"count": alert.recipients})
    return back(request)


async def unpin_alert(request: Request) -> Response:
    """POST …/campaigns/alerts/{alert_id}/unpin."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    alert = await Alert.get_or_none(id=request.path_params["alert_id"], group=group)
    if alert is None:
        raise NotFound("no such alert in this group")
    await alerts.unpin(alert, by=account)
    flash(request, _("The alert is no longer pinned."))
    return back(request)


async def board_met(request: Request) -> Response:
    """POST …/campaigns/board/{item_id}/met: mark a need (or offer) met, optionally with the item that met it."""
    account, group, _role = await console_group(request, MODERATOR_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    item = await board.get_item(request.path_params["item_id"], group=group)
    try:
        other_id = _int(form.get("matched_with"))
        other = await board.get_item(other_id, group=group) if other_id else None
        await board.mark_met(item, by=account, matched_with=other)
    except HubError as exc:
        report_error(request, exc)
        return back(request)
    flash(request, _("Marked as met."))
    return back(request)


async def board_remove(request: Request) -> Response:
    """POST …/campaigns/board/{item_id}/remove: take a need or offer off the public board for good."""
    account, group, _role = await console_group(request, MODERATOR_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    item = await board.get_item(request.path_params["item_id"], group=group)
    return await carry_out(request, board.remove_item(item, by=account), _("Removed from the board."), SECTION)
