"""Decisions on the web: the group's public decision log, and the console where decisions are opened and closed.

The log (``/groups/{slug}/decisions``) shows open decisions with members' votes so far, and closed
ones with their result and whether the quorum was met; non-members' votes are listed apart. The
console (``/console/groups/{slug}/decisions``) is for whoever may open decisions in the group
(organisers, or every member where the group allows it); organisers also choose who that is. A
refused decision gives the console again (400) with the form as typed and the error next to its
field (web.form_errors); nothing is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import Conflict, HubError, InvalidInput, PermissionDenied
from hub.models import Account, Decision, Group
from hub.services import decisions, directory, groups
from web.campaign_pages import public_group
from web import form_errors
from web.console import back, carry_out
from web.csrf import checked_form
from web.i18n import gettext_for
from web.rendering import flash, render, report_error
from web.sessions import require_account

SECTION = "/decisions"
DECISION_FIELDS = ("question", "details", "options", "closes", "timezone", "quorum")
COMMON_ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


@dataclass(frozen=True)
class DecisionView:
    """A decision with its votes as the pages show them."""

    decision: Decision
    tally: decisions.Tally
    closes_local: str
    closed_local: str | None
    members: list[tuple[Account, list[int]]]
    others: list[tuple[Account, list[int]]]

    @property
    def winner_names(self) -> str:
        """The chosen option(s), joined with " / " (several on a tie)."""
        return " / ".join(self.decision.options[i] for i in self.tally.winners)

    def percent(self, index: int) -> int:
        """An option's share of the members who voted (0-100)."""
        return round(100 * self.tally.counts[index] / self.tally.voters) if self.tally.voters else 0


async def view(decision: Decision) -> DecisionView:
    """The page's view of a decision: the stored result once closed, the live tally while open."""
    tally = await decisions.tally(decision)
    if decision.state == "closed" and decision.result:
        r = decision.result
        tally = decisions.Tally(r["counts"], r["voters"], r["others"], r["other_voters"], r["quorum_met"], r["winners"])
    members, others = await decisions.ballots(decision)
    closed = decisions.local_time(decision, decision.closed_at).strftime("%Y-%m-%d %H:%M") if decision.closed_at else None
    return DecisionView(decision, tally, decisions.local_time(decision).strftime("%Y-%m-%d %H:%M"), closed, members, others)


async def decision_log(request: Request) -> Response:
    """GET /groups/{slug}/decisions: open decisions and the log of closed ones with their results."""
    group = await public_group(request)
    rows = [await view(d) for d in await decisions.list_decisions(group)]
    return await render(
        request, "decisions/log.html", group=group, open=[v for v in rows if v.decision.state == "open"],
        closed=[v for v in rows if v.decision.state != "open"], handle=f"@{group.slug}@{request.app.state.settings.domain}",
    )


async def vote(request: Request) -> Response:
    """POST /groups/{slug}/decisions/{decision_id}/vote: a signed-in fediverse account votes on the web (same rule as polls)."""
    account = await require_account(request)
    form = await checked_form(request)
    group = await public_group(request)
    decision = await decisions.get_decision(request.path_params["decision_id"], group=group)
    _ = gettext_for(request)
    try:
        result = await decisions.vote(decision, account, [str(n)[:200] for n in form.getlist("option")][:decisions.MAX_OPTIONS])
    except (Conflict, InvalidInput, PermissionDenied) as exc:
        report_error(request, exc)
    else:
        if not result.member:
            flash(request, _("Thanks! Your vote is listed apart: only members' votes count."))
        elif result.outcome == "replaced":
            flash(request, _("Your vote was changed."))
        else:
            flash(request, _("Your vote is counted.") if result.outcome == "recorded" else _("You had already voted so."))
    return RedirectResponse(f"/groups/{group.slug}/decisions#decision-{decision.id}", status_code=303)


async def _console(request: Request) -> tuple[Account, Group, str]:
    """The signed-in account, the group and its role; PermissionDenied unless it may open decisions."""
    account = await require_account(request)
    group = await groups.get_group(request.path_params["slug"])
    if not await decisions.may_open(group, account):
        raise PermissionDenied("only those who may open decisions in this group use this page")
    return account, group, await directory.role_in(group, account) or "admin"


async def console_page(request: Request) -> Response:
    """GET /console/groups/{slug}/decisions: open a decision; close open ones; who may open them."""
    account, group, role = await _console(request)
    return await _console_page(request, group, role)


async def _console_page(request: Request, group: Group, role: str, *, status: int = 200, typed: dict | None = None,
                        errors: dict[str, str] | None = None) -> Response:
    """The decisions console; ``typed`` are the values of the opening form as typed, ``errors`` its field errors."""
    return await render(
        request, "decisions/console.html", status=status, group=group, role=role, section="decisions",
        open=[await view(d) for d in await decisions.list_decisions(group, state="open")], zones=COMMON_ZONES,
        may_choose_openers=role in ("owner", "admin"), typed=typed, errors=errors or {},
    )


def _quorum(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 7:
        raise InvalidInput(f"the quorum {text[:20]!r} is not a whole number", field="quorum")
    return int(text)


async def open_decision(request: Request) -> Response:
    """POST …/decisions: a question, options (one per line), single or multiple choice, closing time and zone, quorum."""
    account, group, role = await _console(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    try:
        zone = str(form.get("timezone", "UTC")).strip()[:65] or "UTC"
        await decisions.open_decision(
            group, question=str(form.get("question", ""))[:decisions.MAX_QUESTION + 1], details=str(form.get("details", ""))[:decisions.MAX_DETAILS + 1],
            options=str(form.get("options", ""))[:5000].splitlines(), multiple=form.get("multiple") == "on",
            changeable=form.get("final") != "on", closes_at=decisions.closing_time(str(form.get("closes", "")), zone),
            timezone=zone, quorum=_quorum(form.get("quorum")), by=account,
        )
    except HubError as exc:
        shown = await form_errors.refused(request, exc, form, DECISION_FIELDS)
        shown["typed"] |= {"multiple": form.get("multiple") == "on", "final": form.get("final") == "on"}
        return await _console_page(request, group, role, status=400, **shown)
    request.app.state.federation.wake_worker()
    flash(request, _("The decision is open and was sent to the members as a poll."))
    return back(request, SECTION)


async def close_decision(request: Request) -> Response:
    """POST …/decisions/{decision_id}/close: close now and publish the result."""
    account, group, _role = await _console(request)
    await checked_form(request)
    _ = gettext_for(request)
    decision = await decisions.get_decision(request.path_params["decision_id"], group=group)
    done = _("The decision is closed; its result was sent.")
    return await carry_out(request, decisions.close_decision(decision, by=account), done, SECTION)


async def openers(request: Request) -> Response:
    """POST …/decisions/openers: organisers choose whether every member may open decisions."""
    account, group, _role = await _console(request)
    form = await checked_form(request)
    _ = gettext_for(request)
    who = "members" if form.get("decisions_by") == "members" else "organisers"
    return await carry_out(request, decisions.set_openers(group, who, by=account), _("Saved who may open decisions."), SECTION)


def routes(group_console: str) -> list[Route]:
    """The public decision log and the decisions console."""
    base = f"{group_console}/decisions"
    return [
        Route("/groups/{slug}/decisions", decision_log, name="decisions"),
        Route("/groups/{slug}/decisions/{decision_id:int}/vote", vote, methods=["POST"], name="decision_vote"),
        Route(base, console_page, name="console_decisions"),
        Route(base, open_decision, methods=["POST"], name="console_decision_open"),
        Route(f"{base}/openers", openers, methods=["POST"], name="console_decision_openers"),
        Route(f"{base}/{{decision_id:int}}/close", close_decision, methods=["POST"], name="console_decision_close"),
    ]
