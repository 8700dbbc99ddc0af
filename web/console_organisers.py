"""The organisers' console for speaking as the group and for what waits for them.

- ``/console/groups/{slug}/announcements``: post as the group (text, up to four images each with its
  alt text, a content warning), edit, delete, pin and unpin;
- ``/console/groups/{slug}/waiting``: counters of join requests, reports, held posts and gathered
  posts waiting, and the signed-in organiser's own choice of direct messages and email.

Same rules as ``web.console``: signed-in organiser, CSRF-checked form, one service call,
post/redirect/get with a one-time notice; the services check the role again. A refused announcement
gives the page again (400) with the text as typed and the error next to its field (web.form_errors);
nothing is published (images stored for it are deleted again).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.errors import HubError, ImageRejected, InvalidInput
from hub.models import MediaFile
from hub.services import announcements, attention, media
from hub.services.members import MODERATOR_ROLES, ORGANISER_ROLES
from web import form_errors
from web.console import back, carry_out, console_group
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for
from web.rendering import flash, render, report_error

ANNOUNCEMENTS = "/announcements"
WAITING = "/waiting"
UPLOAD_SLACK = 64 * 1024
ANNOUNCEMENT_FIELDS = ("text", "summary", *(f"{name}{n}" for n in range(1, announcements.MAX_IMAGES + 1) for name in ("image", "alt")))


def routes(group_console: str) -> list[Route]:
    """The routes under ``/console/groups/{slug}``."""
    base = f"{group_console}{ANNOUNCEMENTS}"
    one = f"{base}/{{announcement_id:int}}"
    return [
        Route(base, announcements_page, name="console_announcements"),
        Route(base, post_announcement, methods=["POST"], name="console_announcement_post"),
        Route(f"{one}/edit", edit_announcement, methods=["POST"], name="console_announcement_edit"),
        Route(f"{one}/delete", delete_announcement, methods=["POST"], name="console_announcement_delete"),
        Route(f"{one}/{{action:str}}", pin_announcement, methods=["POST"], name="console_announcement_pin"),
        Route(f"{group_console}{WAITING}", waiting_page, name="console_waiting"),
        Route(f"{group_console}{WAITING}", save_preferences, methods=["POST"], name="console_waiting_save"),
    ]


async def announcements_page(request: Request) -> Response:
    """GET …/announcements: the form, and the group's announcements with edit, pin and delete."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    return await _announcements(request, group, role)


async def _announcements(request: Request, group, role: str, *, status: int = 200, typed: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None) -> Response:
    """The announcements page; ``typed`` are the values of the new announcement's form as typed, ``errors`` its field errors."""
    rows = await announcements.list_announcements(group)
    for row in rows:
        row.images = await announcements.images_of(row)
    return await render(request, "console/announcements.html", status=status, group=group, role=role, section="announcements",
                        announcements=rows, max_images=announcements.MAX_IMAGES, typed=typed, errors=errors or {})


async def _images(request: Request, form, stored: list[MediaFile]) -> None:
    """The uploaded images (``image1``…) each with its alt text (``alt1``…), checked, cleaned and added to ``stored``
    (so that the caller can delete them again when one is refused: UploadRejected naming its field)."""
    for n in range(1, announcements.MAX_IMAGES + 1):
        upload = form.get(f"image{n}")
        if upload is None or isinstance(upload, str) or not upload.filename:
            continue
        data = await upload.read(media.MAX_BYTES + 1)
        if not data:
            continue
        try:
            stored.append(await media.store_image(request.app.state.settings.data_dir, data, str(form.get(f"alt{n}", ""))))
        except InvalidInput as exc:
            raise UploadRejected(str(exc), field=f"image{n}" if isinstance(exc, ImageRejected) else f"alt{n}") from None


async def post_announcement(request: Request) -> Response:
    """POST …/announcements: publish as the group and send it to every member's server."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    _ = gettext_for(request)
    declared = request.headers.get("content-length", "")
    limit = announcements.MAX_IMAGES * media.MAX_BYTES + UPLOAD_SLACK
    if declared.isdigit() and int(declared) > limit:
        raise UploadRejected(_("The images are larger than 5 MiB each."))
    form = await checked_form(request, max_part_size=media.MAX_BYTES + UPLOAD_SLACK, max_files=announcements.MAX_IMAGES)
    images: list[MediaFile] = []
    try:
        await _images(request, form, images)
        await announcements.publish(group, str(form.get("text", "")), summary=str(form.get("summary", "")), images=images, by=account)
    except (HubError, UploadRejected) as exc:
        return await _announcements(request, group, role, status=400,
                                    **await form_errors.refused(request, exc, form, ANNOUNCEMENT_FIELDS, images=images))
    request.app.state.federation.wake_worker()
    flash(request, _("The announcement was published and sent to the members."))
    return back(request, ANNOUNCEMENTS)


async def edit_announcement(request: Request) -> Response:
    """POST …/announcements/{id}/edit: new text and content warning (images kept); members' servers get the Update."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    announcement = await announcements.get(group, request.path_params["announcement_id"])
    change = announcements.edit(announcement, str(form.get("text", "")), summary=str(form.get("summary", "")), by=account)
    return await carry_out(request, change, _("The announcement was edited; members' servers get the new text."), ANNOUNCEMENTS)


async def delete_announcement(request: Request) -> Response:
    """POST …/announcements/{id}/delete: off the pages, and members' servers get the Delete."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    announcement = await announcements.get(group, request.path_params["announcement_id"])
    return await carry_out(request, announcements.delete(announcement, by=account), _("The announcement was deleted."), ANNOUNCEMENTS)


async def pin_announcement(request: Request) -> Response:
    """POST …/announcements/{id}/pin or …/unpin."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    action = request.path_params["action"]
    if action not in ("pin", "unpin"):
        report_error(request, InvalidInput(f"{action[:20]!r} is neither pin nor unpin"))
        return back(request, ANNOUNCEMENTS)
    announcement = await announcements.get(group, request.path_params["announcement_id"])
    done = _("The announcement is pinned.") if action == "pin" else _("The announcement is no longer pinned.")
    return await carry_out(request, announcements.set_pinned(announcement, action == "pin", by=account), done, ANNOUNCEMENTS)


async def waiting_page(request: Request) -> Response:
    """GET …/waiting: what waits for the organisers, and how the signed-in organiser is told."""
    account, group, role = await console_group(request, MODERATOR_ROLES)
    return await render(
        request, "console/waiting.html", group=group, role=role, section="waiting", waiting=await attention.waiting(group),
        mine=await attention.preferences(group, account), email_available=request.app.state.settings.smtp is not None,
    )


async def save_preferences(request: Request) -> Response:
    """POST …/waiting: the organiser turns direct messages on or off and sets (or clears) an email address."""
    account, group, _role = await console_group(request, MODERATOR_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    change = attention.set_preferences(group, account, direct_messages=form.get("direct_messages") == "on",
                                       email=str(form.get("email", ""))[:400])
    return await carry_out(request, change, _("Saved: this is how you will be told."), WAITING)
