"""The organisers' campaign console: campaigns and fundraising, gathered posts to approve, calls, alerts, the board.

Same rules as ``web.console``: signed-in organiser (or moderator for moderation), CSRF-checked
form, one service call, post/redirect/get with a one-time notice. Images need alt text. A refused
campaign, fundraising figure, call or alert gives the page again (400) with that form as typed and
the error next to its field (web.form_errors); nothing is stored (an image stored for a refused
call or alert is deleted again).
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
from web import form_errors
from web.console import back as console_back
from web.console import carry_out, console_group
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for, ngettext_for
from web.rendering import flash, render, report_error

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
CAMPAIGN_FIELDS = ("name", "slug", "hashtags", "goal", "starts", "ends", "donation_url", "target", "unit")
FUNDRAISING_FIELDS = ("progress", "target")
CALL_FIELDS = ("what", "where", "when", "time_zone", "needed", "kind", "campaign", "details", "non_members", "image", "alt")
ALERT_FIELDS = ("text", "campaign", "image", "alt")


def back(request: Request) -> RedirectResponse:
    """Post/redirect/get to the campaign console."""
    return console_back(request, SECTION)


def _int(value: object, default: int | None = None, *, field: str | None = None) -> int | None:
    text = str(value or "").strip().replace(",", "")
    if not text:
        return default
    if not text.isdigit() or len(text) > 10:
        raise InvalidInput(f"{text[:32]!r} is not a whole number", field=field)
    return int(text)


def _date(value: object, field: str) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:32])
    except ValueError:
        raise InvalidInput(f"{text[:32]!r} is not a date (YYYY-MM-DD)", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def console_page(request: Request) -> Response:
    """GET /console/groups/{slug}/campaigns."""
    account, group, role = await console_group(request)
    return await _page(request, group, role)


async def _page(request: Request, group, role: str, *, status: int = 200, typed_for: str | None = None,
                typed: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response:
    """The campaign console; ``typed`` are the values of the form ``typed_for`` ("campaign", "call", "alert" or
    "fundraising-" and a campaign's slug) as typed, ``errors`` its field errors."""
    rows = await campaigns.list_campaigns(group)
    pending = {c.id: await campaigns.gathered(c, state="pending", limit=50) for c in rows}
    approved = {c.id: await campaigns.gathered(c, limit=10) for c in rows}
    open_calls = [await calls.status(c) for c in await calls.list_calls(group, state="open")]
    return await render(
        request, "campaign/console.html", status=status, group=group, role=role, section="campaigns", campaigns=rows,
        zone_names=zone_names(), pending=pending, approved=approved, calls=open_calls, matches=await board.suggest_matches(group),
        needs=await board.items(group, kind="need"), offers=await board.items(group, kind="offer"),
        alerts=await alerts.pinned_alerts(group, limit=10), subscribers=len(await alerts.subscribers(group)),
        kinds=calls.KINDS, typed_for=typed_for, typed=typed or {}, errors=errors or {},
    )


async def _refused(request: Request, group, role: str, typed_for: str, form, fields: tuple[str, ...],
                   exc: HubError | UploadRejected, *, image: MediaFile | None = None) -> Response:
    """The console again (400) with the form ``typed_for`` as typed (file inputs excepted) and the error next to its
    field; the ``image`` stored for the refused form is deleted again. NotFound and PermissionDenied propagate."""
    return await _page(request, group, role, status=400, typed_for=typed_for,
                       **await form_errors.refused(request, exc, form, fields, images=[image]))


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
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    try:
        await campaigns.create_campaign(
            group, str(form.get("slug", "")).strip().lower()[:65], str(form.get("name", ""))[:201],
            hashtags=str(form.get("hashtags", "")).replace(",", " ").split()[:campaigns.MAX_HASHTAGS + 1],
            goal=str(form.get("goal", ""))[:campaigns.MAX_GOAL + 1], starts_at=_date(form.get("starts"), "starts"),
            ends_at=_date(form.get("ends"), "ends"), donation_url=str(form.get("donation_url", ""))[:1025] or None,
            target=_int(form.get("target"), field="target"), unit=str(form.get("unit", ""))[:16], by=account,
        )
    except HubError as exc:
        return await _refused(request, group, role, "campaign", form, CAMPAIGN_FIELDS, exc)
    request.app.state.federation.wake_worker()
    flash(request, _("The campaign was created and announced to the members."))
    return back(request)


async def fundraising(request: Request) -> Response:
    """POST …/campaigns/{campaign}/fundraising: the amount raised (and target) as organisers report it."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    campaign = await campaigns.get_campaign(group, request.path_params["campaign"])
    try:
        await campaigns.set_fundraising(campaign, _int(form.get("progress"), 0, field="progress"),
                                        target=_int(form.get("target"), field="target"), by=account)
    except HubError as exc:
        return await _refused(request, group, role, f"fundraising-{campaign.slug}", form, FUNDRAISING_FIELDS, exc)
    flash(request, _("The fundraising figures were saved."))
    return back(request)


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
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    image = None
    try:
        needed = _int(form.get("needed"), 0, field="needed") or 0
        campaign, image = await _campaign_and_image(request, group, form)
        await calls.create_call(
            group, what=str(form.get("what", "")), where=str(form.get("where", "")), when=str(form.get("when", ""))[:40],
            time_zone=str(form.get("time_zone", ""))[:64] or None,
            details=str(form.get("details", ""))[:5001], needed=needed,
            kind=str(form.get("kind", "shift"))[:32], campaign=campaign,
            non_members="ignore" if form.get("non_members") == "ignore" else "apart", image=image, by=account,
        )
    except (HubError, UploadRejected) as exc:
        return await _refused(request, group, role, "call", form, CALL_FIELDS, exc, image=image)
    request.app.state.federation.wake_worker()
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
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    image = None
    try:
        campaign, image = await _campaign_and_image(request, group, form)
        alert = await alerts.send_alert(group, str(form.get("text", ""))[:alerts.MAX_TEXT + 1], by=account, campaign=campaign,
                                        image=image)
    except (HubError, UploadRejected) as exc:
        return await _refused(request, group, role, "alert", form, ALERT_FIELDS, exc, image=image)
    request.app.state.federation.wake_worker()
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
