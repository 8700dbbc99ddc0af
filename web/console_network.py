"""The console's sections about other groups and accounts: invites, collaborations, follows, reports.

Same rules as ``web.console``: signed in, CSRF-checked, role checked on the server, one service call.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.errors import HubError, NotFound, PermissionDenied
from hub.models import GroupFollow, Report
from hub.services import invites
from hub.services.members import ORGANISER_ROLES
from web.console import back, console_group, report_error
from web.csrf import checked_form
from web.i18n import gettext_for
from web.rendering import flash, render


async def invites_page(request: Request) -> Response:
    """GET /console/groups/{slug}/invites: sent and received invites."""
    account, group, role = await console_group(request)
    rows = [i for i in await invites.list_invites(group)]
    return await render(
        request, "console/invites.html", group=group, role=role, section="invites",
        outgoing=[i for i in rows if i.direction == "outgoing"], incoming=[i for i in rows if i.direction == "incoming"],
    )


async def invite_action(request: Request) -> Response:
    """POST /console/groups/{slug}/invites/{invite_id}/{action}: accept or reject a received invite, revoke a sent one."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    invite = await invites.get(request.path_params["invite_id"])
    if invite.group_id != group.id:
        raise NotFound("no such invite for this group")
    action = request.path_params["action"]
    _ = gettext_for(request)
    actions = {
        "accept": (invites.accept, "incoming", _("The invite was accepted.")),
        "reject": (invites.reject, "incoming", _("The invite was declined.")),
        "revoke": (invites.revoke, "outgoing", _("The invite was revoked.")),
    }
    if action not in actions or actions[action][1] != invite.direction:
        raise NotFound("no such action for this invite")
    service, _direction, done = actions[action]
    try:
        await service(invite, by=account)
    except PermissionDenied:
        raise
    except HubError as exc:
        report_error(request, exc)
        return back(request, "/invites")
    request.app.state.federation.wake_worker()
    flash(request, done)
    return back(request, "/invites")


async def collaborations_page(request: Request) -> Response:
    """GET /console/groups/{slug}/collaborations."""
    account, group, role = await console_group(request)
    hosted = await group.hosted_collaborations.all().prefetch_related("group")
    return await render(request, "console/collaborations.html", group=group, role=role, section="collaborations", hosted=hosted)


async def follows_page(request: Request) -> Response:
    """GET /console/groups/{slug}/follows: the remote groups this group follows."""
    account, group, role = await console_group(request)
    rows = await GroupFollow.filter(group=group).exclude(state="undone").prefetch_related("target").order_by("-id")
    return await render(request, "console/follows.html", group=group, role=role, section="follows", follows=rows)


async def reports_page(request: Request) -> Response:
    """GET /console/groups/{slug}/reports: open reports about this group's members and posts."""
    account, group, role = await console_group(request)
    rows = await Report.filter(group=group, outgoing=False).order_by("-id").limit(100)
    return await render(request, "console/reports.html", group=group, role=role, section="reports", reports=rows)


def routes(prefix: str) -> list[Route]:
    """The routes of these sections under the group console ``prefix``."""
    return [
        Route(f"{prefix}/invites", invites_page, name="console_invites"),
        Route(f"{prefix}/invites/{{invite_id:int}}/{{action}}", invite_action, methods=["POST"], name="console_invite_action"),
        Route(f"{prefix}/collaborations", collaborations_page, name="console_collaborations"),
        Route(f"{prefix}/follows", follows_page, name="console_follows"),
        Route(f"{prefix}/reports", reports_page, name="console_reports"),
    ]
