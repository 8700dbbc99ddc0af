"""A group's own settings in the console: who may join and read (open, closed, private) and deleting it.

Switching access shows what it means for the group's existing posts first and changes nothing until
the organiser confirms. Deleting asks for the group's handle typed again.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import HubError
from hub.services import group_settings
from hub.services.members import ORGANISER_ROLES
from web.console import back, console_group
from web.csrf import checked_form
from web.i18n import gettext_for
from web.rendering import flash, render, report_error


def routes(group_console: str) -> list[Route]:
    """The settings page, the access switch and deletion, under ``/console/groups/{slug}``."""
    return [
        Route(f"{group_console}/settings", settings_page, name="console_settings"),
        Route(f"{group_console}/access", change_access, methods=["POST"], name="console_access"),
        Route(f"{group_console}/delete", delete, methods=["POST"], name="console_delete"),
    ]


async def settings_page(request: Request) -> Response:
    """GET /console/groups/{slug}/settings: the access modes and the delete form."""
    _account, group, role = await console_group(request, ORGANISER_ROLES)
    return await render(request, "console/settings.html", group=group, role=role, section="settings",
                        access=group_settings.access_of(group), change=None)


async def change_access(request: Request) -> Response:
    """POST /console/groups/{slug}/access: without ``confirm``, say what the switch means; with it, switch."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    try:
        change = await group_settings.preview_access(group, str(form.get("access", ""))[:16])
    except HubError as exc:
        report_error(request, exc)
        return back(request, "/settings")
    if not change.changes:
        flash(request, _("The group already works that way."))
        return back(request, "/settings")
    if form.get("confirm") != "yes":
        return await render(request, "console/settings.html", group=group, role=role, section="settings",
                            access=change.current, change=change)
    try:
        await group_settings.set_access(group, change.target, by=account)
    except HubError as exc:
        report_error(request, exc)
        return back(request, "/settings")
    request.app.state.federation.wake_worker()
    flash(request, _("Who may join and read the group was changed."))
    return back(request, "/settings")


async def delete(request: Request) -> Response:
    """POST /console/groups/{slug}/delete: delete the group when its handle was typed again (owners and instance admins)."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    if str(form.get("confirm", "")).strip().lstrip("@").split("@")[0] != group.slug:
        flash(request, _("The group was not deleted: type its handle to confirm."), "error")
        return back(request, "/settings")
    try:
        await group_settings.delete_group(group, by=account)
    except HubError as exc:
        report_error(request, exc)
        return back(request, "/settings")
    request.app.state.federation.wake_worker()
    flash(request, _("%(name)s was deleted; its members are being told.") % {"name": group.name})
    return RedirectResponse("/console", status_code=303)
