"""The instance administrators' console: domain blocks, reports, relays, dead letters, administrators, the log.

Every page needs a signed-in instance administrator (``Account.is_admin``): anyone else signed in
gets a 403 page, visitors the sign-in page. Every POST checks the form's CSRF token, calls one
service of hub.services (which checks the role again and writes the moderation log), then goes
back to its page with a notice (post/redirect/get). Bad input re-renders the page with status 400
and the message next to the field it is about; nothing is changed. The groups, the open creation
of groups and the federation health page are in web.admin_groups and web.admin_health.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.features.moderation import send_report
from federation.features.relays import subscribe
from hub.errors import HubError, NotFound, PermissionDenied
from hub.models import Account, Delivery, Report
from hub.services import administration, blocks, moderation, relays
from hub.services.queue_stats import dead_deliveries
from web.console_network import report_decision
from web.csrf import checked_form
from web.i18n import N_, gettext_for, ngettext_for
from web.rendering import error_text, flash, render
from web.sessions import require_account

ADMIN = "/console/admin"
DEAD_SHOWN = 100
LOG_PAGE = 100
REASON_LIMIT = 1000
ACTION_LABELS: dict[str, str] = {
    "domain_block": N_("domain blocked"), "domain_unblock": N_("domain unblocked"),
    "report_resolved": N_("report resolved"), "report_dismissed": N_("report dismissed"),
    "report_forwarded": N_("report sent"), "relay_follow": N_("relay subscribed"),
    "relay_unfollow": N_("relay unsubscribed"), "dead_letters_retried": N_("dead letters retried"),
    "dead_letter_discarded": N_("dead letter discarded"), "admin_granted": N_("administrator appointed"),
    "admin_revoked": N_("administrator dismissed"), "group_created": N_("group created"),
    "group_suspended": N_("group suspended"), "group_unsuspended": N_("suspension lifted"),
    "group_deleted": N_("group deleted"), "group_creation_opened": N_("group creation opened to everyone"),
    "group_creation_closed": N_("group creation limited to administrators"),
}
"""Translatable names of the actions the administrators' log shows (others are shown as stored)."""


async def require_admin(request: Request) -> Account:
    """The signed-in instance administrator; SignInRequired without a session, PermissionDenied (403) for others."""
    account = await require_account(request)
    if not account.is_admin:
        _ = gettext_for(request)
        raise PermissionDenied(_("Only the hub's administrators may use the administration console."))
    return account


def back(section: str) -> RedirectResponse:
    """Post/redirect/get to a page of the administrators' console."""
    return RedirectResponse(f"{ADMIN}{section}", status_code=303)


def reason_of(form: Any) -> str | None:
    """The optional reason field of a form, trimmed."""
    return str(form.get("reason", "")).strip()[:REASON_LIMIT] or None


Page = Callable[..., Awaitable[Response]]


async def act(request: Request, action: Awaitable[object], done: str, section: str, page: Page, *, field: str,
              form: dict[str, str] | None = None) -> Response:
    """Run one service call: success -> a notice and back to ``section``; a domain error -> ``page`` again with
    status 400 and the message next to ``field`` (PermissionDenied propagates as a 403)."""
    try:
        await action
    except PermissionDenied:
        raise
    except HubError as exc:
        return await page(request, status=400, errors={field: error_text(request, exc)}, form=form or {})
    request.app.state.federation.wake_worker()
    flash(request, done)
    return back(section)


def form_page(section: str, **sources: Callable[[], Awaitable[object]]) -> Page:
    """The GET handler of a console page with forms: ``admin/SECTION.html`` with each source's result, the
    errors next to their fields and the values sent (status 400 when a POST handler shows it again)."""

    async def page(request: Request, *, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
        await require_admin(request)
        loaded = {name: await load() for name, load in sources.items()}
        return await render(request, f"admin/{section}.html", status=status, section=section, errors=errors or {},
                            form=form or {}, **loaded)

    return page


async def overview(request: Request) -> Response:
    """GET /console/admin: what waits for the administrators, with a link to each page."""
    await require_admin(request)
    return await render(
        request, "admin/index.html", section="overview",
        open_reports=len(await moderation.list_reports(instance_only=True)),
        dead=await Delivery.filter(state="dead").count(),
        blocks=len(await moderation.domain_blocks()), relays=len(await relays.list_relays()),
        admins=len(await administration.list_admins()),
    )


# --- domain blocks ------------------------------------------------------------------------------


domains_page = form_page("domains", blocks=moderation.domain_blocks)
"""GET /console/admin/domains: the hub's blocked domains and the form to block one."""


async def block_domain(request: Request) -> Response:
    """POST /console/admin/domains: block a domain for the whole hub, with a reason."""
    account = await require_admin(request)
    form = await checked_form(request)
    values = {"domain": str(form.get("domain", "")).strip()[:300], "reason": reason_of(form) or ""}
    try:
        domain = blocks.normalise_domain(values["domain"])
    except HubError as exc:
        return await domains_page(request, status=400, errors={"domain": error_text(request, exc)}, form=values)
    _ = gettext_for(request)
    return await act(request, moderation.block_domain(domain, by=account, reason=values["reason"] or None),
                     _("%(domain)s is blocked.") % {"domain": domain}, "/domains", domains_page,
                     field="domain", form=values)


async def unblock_domain(request: Request) -> Response:
    """POST /console/admin/domains/unblock: lift a domain block."""
    account = await require_admin(request)
    form = await checked_form(request)
    domain = str(form.get("domain", "")).strip()[:300]
    _ = gettext_for(request)
    return await act(request, moderation.unblock_domain(domain, by=account, reason=reason_of(form)),
                     _("%(domain)s is no longer blocked.") % {"domain": domain}, "/domains", domains_page, field="unblock")


# --- reports ------------------------------------------------------------------------------------


async def reports_page(request: Request, *, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
    """GET /console/admin/reports: the instance's report queue (open first, then the closed) and reports sent out."""
    await require_admin(request)
    incoming = await moderation.list_reports(instance_only=True, state=None)
    return await render(
        request, "admin/reports.html", status=status, section="reports", errors=errors or {}, form=form or {},
        open_reports=[r for r in incoming if r.state == "open"], closed=[r for r in incoming if r.state != "open"][:50],
        outgoing=(await moderation.list_reports(state=None, outgoing=True))[:50],
    )


async def report_action(request: Request) -> Response:
    """POST /console/admin/reports/{report_id}/{action}: resolve or dismiss a report of the instance queue."""
    account = await require_admin(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    service, done = report_decision(request)
    report = await Report.get_or_none(id=request.path_params["report_id"], group_id__isnull=True, outgoing=False)
    if report is None:
        raise NotFound(_("There is no such report in the hub's queue."))
    return await act(request, service(report, by=account, reason=reason_of(form)), done, "/reports", reports_page,
                     field=f"report-{report.id}")


async def report_remote(request: Request) -> Response:
    """POST /console/admin/reports/send: report a remote post or account to its own server (a Flag from the hub)."""
    account = await require_admin(request)
    form = await checked_form(request)
    values = {"url": str(form.get("url", "")).strip()[:1000], "reason": reason_of(form) or ""}
    _ = gettext_for(request)
    if not values["reason"]:
        return await reports_page(request, status=400, form=values,
                                  errors={"report-reason": _("Say what is wrong: the other server's moderators read it.")})
    fed = request.app.state.federation
    return await act(request, send_report(fed, values["url"], reason=values["reason"], by=account),
                     _("The report is on its way to the other server."), "/reports", reports_page, field="url", form=values)


# --- relays -------------------------------------------------------------------------------------


relays_page = form_page("relays", relays=relays.list_relays)
"""GET /console/admin/relays: the hub's relay subscriptions and the form to subscribe to one."""


async def subscribe_relay(request: Request) -> Response:
    """POST /console/admin/relays: subscribe to a relay by its actor URL (its document is fetched first)."""
    account = await require_admin(request)
    form = await checked_form(request)
    values = {"actor": str(form.get("actor", "")).strip()[:1000]}
    _ = gettext_for(request)
    fed = request.app.state.federation
    return await act(request, subscribe(fed, values["actor"], by=account),
                     _("The Follow is on its way to the relay; it is listed as pending until the relay accepts."),
                     "/relays", relays_page, field="actor", form=values)


async def unsubscribe_relay(request: Request) -> Response:
    """POST /console/admin/relays/unsubscribe: stop following a relay."""
    account = await require_admin(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    return await act(request, relays.unfollow(str(form.get("actor", "")).strip()[:1000], by=account),
                     _("The hub no longer follows the relay."), "/relays", relays_page, field="unsubscribe")


# --- dead letters -------------------------------------------------------------------------------


async def dead_page(request: Request, *, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
    """GET /console/admin/dead: deliveries given up, newest first, each with retry and discard."""
    await require_admin(request)
    return await render(request, "admin/dead.html", status=status, section="dead", errors=errors or {},
                        dead=await dead_deliveries(limit=DEAD_SHOWN), total=await Delivery.filter(state="dead").count())


async def retry_all(request: Request) -> Response:
    """POST /console/admin/dead/retry: queue every dead letter again."""
    account = await require_admin(request)
    await checked_form(request)
    retried = await administration.retry_dead_letters(by=account, group_actor=request.app.state.federation.urls.group)
    ngettext = ngettext_for(request)
    request.app.state.federation.wake_worker()
    notice = ngettext("%(count)d dead letter was queued again.", "%(count)d dead letters were queued again.", retried.queued) % {
        "count": retried.queued}
    if retried.held:
        notice += " " + ngettext(
            "%(count)d was skipped: a suspended group signed it, and nothing it signed goes out while the suspension lasts.",
            "%(count)d were skipped: suspended groups signed them, and nothing they signed goes out while the suspension lasts.",
            retried.held) % {"count": retried.held}
    flash(request, notice)
    return back("/dead")


async def dead_action(request: Request) -> Response:
    """POST /console/admin/dead/{delivery_id}/{action}: retry or discard one dead letter."""
    account = await require_admin(request)
    await checked_form(request)
    delivery_id = request.path_params["delivery_id"]
    _ = gettext_for(request)
    actions = {
        "retry": (lambda: administration.retry_dead_letters(by=account, delivery_id=delivery_id,
                                                            group_actor=request.app.state.federation.urls.group),
                  _("The delivery was queued again.")),
        "discard": (lambda: administration.discard_dead_letter(delivery_id, by=account), _("The dead letter was discarded.")),
    }
    if request.path_params["action"] not in actions:
        raise NotFound("no such action")
    start, done = actions[request.path_params["action"]]
    return await act(request, start(), done, "/dead", dead_page, field=f"dead-{delivery_id}")


# --- administrators -----------------------------------------------------------------------------


async def admins_page(request: Request, *, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
    """GET /console/admin/admins: the hub's administrators, the form to appoint one and a dismiss button each."""
    account = await require_admin(request)
    admins = await administration.list_admins()
    return await render(request, "admin/admins.html", status=status, section="admins", admins=admins,
                        names={a.id: administration.who(a) for a in admins}, me=account,
                        errors=errors or {}, form=form or {})


async def grant_admin(request: Request) -> Response:
    """POST /console/admin/admins: make a known account (local user name or @user@server) an administrator."""
    account = await require_admin(request)
    form = await checked_form(request)
    values = {"name": str(form.get("name", "")).strip()[:300]}
    _ = gettext_for(request)
    return await act(request, administration.grant_admin(values["name"], by=account),
                     _("%(who)s is now an administrator.") % {"who": values["name"]}, "/admins", admins_page,
                     field="name", form=values)


async def revoke_admin(request: Request) -> Response:
    """POST /console/admin/admins/{account_id}/revoke: dismiss an administrator (never the last one)."""
    account = await require_admin(request)
    form = await checked_form(request)
    account_id = request.path_params["account_id"]
    _ = gettext_for(request)
    response = await act(request, administration.revoke_admin(account_id, by=account, reason=reason_of(form)),
                         _("The administrator was dismissed."), "/admins", admins_page, field=f"admin-{account_id}")
    if account_id == account.id and response.status_code == 303:
        return RedirectResponse("/console", status_code=303)  # no longer an administrator: the console is theirs
    return response


# --- the log ------------------------------------------------------------------------------------


async def log_page(request: Request) -> Response:
    """GET /console/admin/log: every administrators' action, newest first, keyset-paged (?before=ID)."""
    await require_admin(request)
    before = request.query_params.get("before", "")
    entries = await administration.admin_log(limit=LOG_PAGE, before_id=int(before) if before.isdigit() else None)
    return await render(request, "admin/log.html", section="log", entries=entries, action_labels=ACTION_LABELS,
                        names={e.id: administration.who(e.moderator) if e.moderator else None for e in entries},
                        next_before=entries[-1].id if len(entries) == LOG_PAGE else None)


def routes() -> list[Route]:
    """The administrators' console routes but the groups' (web.admin_groups) and the health page's."""
    return [
        Route(ADMIN, overview, name="admin"),
        Route(f"{ADMIN}/domains", domains_page, name="admin_domains"),
        Route(f"{ADMIN}/domains", block_domain, methods=["POST"], name="admin_block_domain"),
        Route(f"{ADMIN}/domains/unblock", unblock_domain, methods=["POST"], name="admin_unblock_domain"),
        Route(f"{ADMIN}/reports", reports_page, name="admin_reports"),
        Route(f"{ADMIN}/reports/send", report_remote, methods=["POST"], name="admin_report_send"),
        Route(f"{ADMIN}/reports/{{report_id:int}}/{{action}}", report_action, methods=["POST"], name="admin_report_action"),
        Route(f"{ADMIN}/relays", relays_page, name="admin_relays"),
        Route(f"{ADMIN}/relays", subscribe_relay, methods=["POST"], name="admin_subscribe_relay"),
        Route(f"{ADMIN}/relays/unsubscribe", unsubscribe_relay, methods=["POST"], name="admin_unsubscribe_relay"),
        Route(f"{ADMIN}/dead", dead_page, name="admin_dead"),
        Route(f"{ADMIN}/dead/retry", retry_all, methods=["POST"], name="admin_retry_dead"),
        Route(f"{ADMIN}/dead/{{delivery_id:int}}/{{action}}", dead_action, methods=["POST"], name="admin_dead_action"),
        Route(f"{ADMIN}/admins", admins_page, name="admin_admins"),
        Route(f"{ADMIN}/admins", grant_admin, methods=["POST"], name="admin_grant"),
        Route(f"{ADMIN}/admins/{{account_id:int}}/revoke", revoke_admin, methods=["POST"], name="admin_revoke"),
        Route(f"{ADMIN}/log", log_page, name="admin_log"),
    ]
