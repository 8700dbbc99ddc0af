"""The member's home (``/me``): their groups (leave), answers to calls (withdraw), alerts per group and
per campaign, language and sessions. Every member of any group reaches it after signing in by link.

Each POST: signed-in account, CSRF-checked form, one service call, back to ``/me`` with a notice.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import HubError
from hub.services import alerts, calls, groups, member_home, members, sessions
from web.csrf import checked_form
from web.i18n import gettext_for, ngettext_for
from web.rendering import flash, render, report_error
from web.sessions import current_session, require_account


def routes() -> list[Route]:
    """The member's home and its actions."""
    return [
        Route("/me", home, name="me"),
        Route("/me/groups/{slug}/leave", leave, methods=["POST"], name="me_leave"),
        Route("/me/groups/{slug}/alerts", group_alerts, methods=["POST"], name="me_group_alerts"),
        Route("/me/groups/{slug}/campaigns/{campaign}/alerts", campaign_alerts, methods=["POST"], name="me_campaign_alerts"),
        Route("/me/calls/{call_id:int}/withdraw", withdraw, methods=["POST"], name="me_withdraw"),
        Route("/me/sessions/{session_id:int}/end", end_session, methods=["POST"], name="me_end_session"),
        Route("/me/sessions/end-others", end_other_sessions, methods=["POST"], name="me_end_other_sessions"),
    ]


async def home(request: Request) -> Response:
    """GET /me: the member's groups, answers, alerts, language and sessions."""
    account = await require_account(request)
    return await render(request, "me.html", home=await member_home.home_of(account),
                        this_session=await current_session(request))


async def _done(request: Request, action: Awaitable[object], message: str) -> Response:
    """Run one change; a domain error becomes an error notice. Back to /me either way."""
    try:
        await action
    except HubError as exc:
        report_error(request, exc)
    else:
        request.app.state.federation.wake_worker()
        flash(request, message)
    return RedirectResponse("/me", status_code=303)


def _on(form) -> bool:
    return form.get("alerts") == "on"


async def leave(request: Request) -> Response:
    """POST /me/groups/{slug}/leave: leave the group (or withdraw the request to join)."""
    account = await require_account(request)
    await checked_form(request)
    _ = gettext_for(request)
    group = await groups.get_group(request.path_params["slug"])
    return await _done(request, members.leave_here(group, account), _("You left %(name)s.") % {"name": group.name})


async def group_alerts(request: Request) -> Response:
    """POST /me/groups/{slug}/alerts: switch the group's urgent alerts on or off."""
    account = await require_account(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    group = await groups.get_group(request.path_params["slug"])
    if _on(form):
        return await _done(request, alerts.subscribe(group, account), _("Alerts from %(name)s are on.") % {"name": group.name})
    return await _done(request, alerts.unsubscribe(group, account), _("Alerts from %(name)s are off.") % {"name": group.name})


async def campaign_alerts(request: Request) -> Response:
    """POST /me/groups/{slug}/campaigns/{campaign}/alerts: switch one campaign's alerts on or off."""
    account = await require_account(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    group = await groups.get_group(request.path_params["slug"])
    campaign = await member_home.campaign_of_member(account, group, request.path_params["campaign"])
    on = _on(form)
    message = _("Alerts of the campaign %(name)s are on.") if on else _("Alerts of the campaign %(name)s are off.")
    return await _done(request, alerts.set_campaign_alerts(campaign, account, on=on), message % {"name": campaign.name})


async def withdraw(request: Request) -> Response:
    """POST /me/calls/{call_id}/withdraw: take back an "I'm in"."""
    account = await require_account(request)
    await checked_form(request)
    _ = gettext_for(request)
    call = await calls.get_call(request.path_params["call_id"])
    return await _done(request, calls.withdraw(call, account), _("You withdrew from “%(what)s”.") % {"what": call.what})


async def end_session(request: Request) -> Response:
    """POST /me/sessions/{session_id}/end: end one of the member's sessions (this one signs out)."""
    account = await require_account(request)
    await checked_form(request)
    _ = gettext_for(request)
    mine = await current_session(request)
    session_id = request.path_params["session_id"]
    try:
        await sessions.end_one(account, session_id)
    except HubError as exc:
        report_error(request, exc)
        return RedirectResponse("/me", status_code=303)
    if mine is not None and mine.id == session_id:
        request.session.clear()
        return RedirectResponse("/", status_code=303)
    flash(request, _("The session was ended."))
    return RedirectResponse("/me", status_code=303)


async def end_other_sessions(request: Request) -> Response:
    """POST /me/sessions/end-others: sign out everywhere but this browser."""
    account = await require_account(request)
    await checked_form(request)
    _ = gettext_for(request)
    ended = await sessions.end_others(account, keep=await current_session(request))
    flash(request, ngettext_for(request)("You were signed out everywhere else (%(count)d session ended).",
                                         "You were signed out everywhere else (%(count)d sessions ended).", ended) % {"count": ended})
    return RedirectResponse("/me", status_code=303)
