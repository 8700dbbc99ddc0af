"""The console's sections about other groups and accounts: invites, collaborations, follows, reports.

Same rules as ``web.console``: signed in, CSRF-checked, role checked on the server, one service call.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.features.collaboration import account_of, send_invite
from federation.errors import FederationError
from hub.errors import HubError, NotFound
from hub.models import Account, GroupFollow
from hub.services import collaborations, directory, invites, moderation
from hub.services.members import ORGANISER_ROLES
from web.console import back, carry_out, console_group
from web.csrf import checked_form
from web.i18n import gettext_for
from web.rendering import flash, render, report_error


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
    return await carry_out(request, service(invite, by=account), done, "/invites")


async def _target(request: Request, raw: str) -> Account | None:
    """Resolve the handle typed in a form; None (with a notice for the next page) when that fails."""
    try:
        return await account_of(request.app.state.federation, raw.strip()[:1024])
    except FederationError as exc:
        _ = gettext_for(request)
        flash(request, _("We could not look up %(handle)s: %(reason)s") % {"handle": raw, "reason": exc.reason}, "error")
    except HubError as exc:
        report_error(request, exc)
    return None


async def invite_send(request: Request) -> Response:
    """POST /console/groups/{slug}/invites: invite a person to this group, or a group to one of its collaborations."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    target = await _target(request, str(form.get("target", "")))
    if target is None:
        return back(request, "/invites")
    fed = request.app.state.federation
    name = str(form.get("collaboration", "")).strip()[:200]
    message = str(form.get("message", "")).strip()[:2000] or None
    return await carry_out(request, send_invite(fed, group, target, collaboration=name or None, message=message, by=account),
                           _("The invite to %(who)s is on its way.") % {"who": target.handle or target.uri}, "/invites")


async def follow(request: Request) -> Response:
    """POST /console/groups/{slug}/follows: follow another group, optionally sharing its posts with members."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    _ = gettext_for(request)
    target = await _target(request, str(form.get("target", "")))
    if target is None:
        return back(request, "/follows")
    fed = request.app.state.federation
    follow = collaborations.follow_group(
        group, target, follow_uri=fed.urls.group_activity(group.slug, "follow", uuid.uuid4().hex),
        relay=form.get("relay") == "on", by=account,
    )
    return await carry_out(request, follow, _("The follow request to %(who)s is on its way.") % {"who": target.handle or target.uri}, "/follows")


async def unfollow(request: Request) -> Response:
    """POST /console/groups/{slug}/follows/{follow_id}/undo: stop following."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    row = await GroupFollow.get_or_none(id=request.path_params["follow_id"], group=group).prefetch_related("target")
    if row is None:
        raise NotFound("this group has no such follow")
    _ = gettext_for(request)
    return await carry_out(request, collaborations.unfollow_group(group, row.target, by=account),
                           _("The group no longer follows %(who)s.") % {"who": row.target.handle or row.target.uri}, "/follows")


async def relay(request: Request) -> Response:
    """POST /console/groups/{slug}/follows/{follow_id}/relay: share the followed group's posts or not, filtered by a hashtag."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    row = await GroupFollow.get_or_none(id=request.path_params["follow_id"], group=group).prefetch_related("target")
    if row is None:
        raise NotFound("this group has no such follow")
    _ = gettext_for(request)
    hashtag = str(form.get("hashtag", "")).strip()[:100]
    change = collaborations.set_relay(group, row.target, form.get("relay") == "on", hashtag=hashtag, by=account)
    return await carry_out(request, change, _("Done."), "/follows")


async def collaborations_page(request: Request) -> Response:
    """GET /console/groups/{slug}/collaborations."""
    account, group, role = await console_group(request)
    found = await directory.collaborations_of(group, request.app.state.urls.group(group.slug))
    return await render(request, "console/collaborations.html", group=group, role=role, section="collaborations", hosted=found)


async def follows_page(request: Request) -> Response:
    """GET /console/groups/{slug}/follows: the remote groups this group follows."""
    account, group, role = await console_group(request)
    rows = await GroupFollow.filter(group=group).exclude(state="undone").prefetch_related("target").order_by("-id")
    return await render(request, "console/follows.html", group=group, role=role, section="follows", follows=rows)


async def reports_page(request: Request) -> Response:
    """GET /console/groups/{slug}/reports: open reports about this group's members and posts."""
    account, group, role = await console_group(request)
    rows = await moderation.list_reports(group, state=None)
    return await render(request, "console/reports.html", group=group, role=role, section="reports", reports=rows[:100])


def report_decision(request: Request) -> tuple[Callable[..., Awaitable[object]], str]:
    """The service and the notice of a POST to …/reports/{report_id}/{action} (resolve or dismiss), in the group's
    console and the administrators'; NotFound for another action."""
    _ = gettext_for(request)
    actions = {"resolve": (moderation.resolve_report, _("The report was resolved.")),
               "dismiss": (moderation.dismiss_report, _("The report was dismissed."))}
    if request.path_params["action"] not in actions:
        raise NotFound("no such action")
    return actions[request.path_params["action"]]


async def report_action(request: Request) -> Response:
    """POST /console/groups/{slug}/reports/{report_id}/{action}: resolve or dismiss a report."""
    account, group, _role = await console_group(request)
    form = await checked_form(request)
    report = await moderation.get_report(request.path_params["report_id"])
    if report.group_id != group.id:
        raise NotFound("no such report for this group")
    service, done = report_decision(request)
    reason = str(form.get("reason", "")).strip()[:1000] or None
    return await carry_out(request, service(report, by=account, reason=reason), done, "/reports")


def routes(prefix: str) -> list[Route]:
    """The routes of these sections under the group console ``prefix``."""
    return [
        Route(f"{prefix}/invites", invites_page, name="console_invites"),
        Route(f"{prefix}/invites", invite_send, methods=["POST"], name="console_invite_send"),
        Route(f"{prefix}/invites/{{invite_id:int}}/{{action}}", invite_action, methods=["POST"], name="console_invite_action"),
        Route(f"{prefix}/collaborations", collaborations_page, name="console_collaborations"),
        Route(f"{prefix}/follows", follows_page, name="console_follows"),
        Route(f"{prefix}/follows", follow, methods=["POST"], name="console_follow"),
        Route(f"{prefix}/follows/{{follow_id:int}}/undo", unfollow, methods=["POST"], name="console_unfollow"),
        Route(f"{prefix}/follows/{{follow_id:int}}/relay", relay, methods=["POST"], name="console_relay"),
        Route(f"{prefix}/reports", reports_page, name="console_reports"),
        Route(f"{prefix}/reports/{{report_id:int}}/{{action}}", report_action, methods=["POST"], name="console_report_action"),
    ]
