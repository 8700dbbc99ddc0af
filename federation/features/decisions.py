"""Group decisions on the wire: the group's ``Question`` out, poll votes in, the result as an ``Update``.

A decision is the group's own object ``{group}/objects/decision/{id}``: a ``Question`` with
``oneOf`` (single choice) or ``anyOf`` (multiple choice) options, ``endTime`` and ``votersCount``,
attributed to the group and addressed like its other objects (followers, cc Public; members only in
private groups), sent to members' servers as a plain ``Create`` — the poll Mastodon shows. Counts
are members' votes only; non-members' votes are kept apart on the decision log page.

Votes come as Mastodon sends them: ``Create{Note}`` whose ``name`` is the option, ``inReplyTo`` the
Question and no content, one per chosen option. They are handed to :func:`hub.services.decisions.vote`
(the voting rule lives there); a refused vote (closed, unknown option, final vote, banned) is
ignored with the reason and stores nothing. Other replies to a decision are not group posts.

At closing (the worker's :func:`close_due_decisions`, or organisers closing early) the Question goes
out again as an ``Update`` with ``closed``, the final counts and the result in its text.

Declared here: :data:`FEATURE` (the ``reply`` hook that takes votes before a reply becomes a group
post, and the event handlers), :data:`OBJECT_DOCUMENTS` (object kind -> AS2 document served at its
id), :data:`OBJECT_PAGES`.
"""

from __future__ import annotations

import html
from typing import Any

from federation.campaign_objects import create_of, local_object, object_uri, public_addressing, update_of
from federation.publication import publish
from federation.context import Federation
from federation.handling import Feature, Incoming, Outcome, done, ignored
from federation.remote import account_for
from federation.urls import Urls
from federation.vocab import content_and_language, id_of
from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Decision, Event, Group
from hub.services import decisions

KIND = "decision"
"""The object kind in ``{group}/objects/decision/{id}``."""


def decision_page(urls: Urls, slug: str, decision_id: int) -> str:
    """The decision's place in the group's decision log."""
    return f"{urls.group(slug)}/decisions#decision-{decision_id}"


def _time(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _result_text(decision: Decision, tally: decisions.Tally) -> str:
    if tally.winners:
        names = " / ".join(html.escape(decision.options[i]) for i in tally.winners)
        top = tally.counts[tally.winners[0]]
        lead = f"Result: <strong>{names}</strong> ({top} of {tally.voters} members' votes{', a tie' if len(tally.winners) > 1 else ''})."
    else:
        lead = "Result: no member voted."
    if decision.quorum is not None:
        lead += f" Quorum {'met' if tally.quorum_met else 'not met'} ({tally.voters} of {decision.quorum} needed)."
    if tally.other_voters:
        lead += f" {tally.other_voters} non-member(s) also voted (not counted)."
    return lead


def decision_question(urls: Urls, group: Group, decision: Decision, tally: decisions.Tally) -> dict[str, Any]:
    """The decision as the group's ``Question`` (members' counts; result and ``closed`` once closed)."""
    page = decision_page(urls, group.slug, decision.id)
    closes = decisions.local_time(decision)
    lines = [f"<strong>{html.escape(decision.question)}</strong>"]
    if decision.details:
        lines.append(html.escape(decision.details).replace("\n", "<br>"))
    how = "Choose one or more options." if decision.multiple else "Choose one option."
    if not decision.multiple:
        how += " You may change your vote until it closes." if decision.changeable else " Your first vote is final."
    rules = f"A decision of {html.escape(group.name)}: only members' votes count. {how}"
    if decision.quorum is not None:
        rules += f" Quorum: {decision.quorum} member(s)."
    if decision.state == "closed":
        rules = _result_text(decision, tally)
    else:
        rules += f" Closes {closes.strftime('%Y-%m-%d %H:%M')} ({html.escape(decision.timezone)})."
    content = "<p>" + "<br>".join(lines) + f'</p><p>{rules} <a href="{html.escape(page)}">{html.escape(page)}</a></p>'
    options = [{"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": tally.counts[i]}}
               for i, name in enumerate(decision.options)]
    end = decision.closed_at if decision.state == "closed" and decision.closed_at else decision.closes_at
    doc: dict[str, Any] = {
        "id": object_uri(urls, group.slug, KIND, decision.id),
        "type": "Question",
        "attributedTo": urls.group(group.slug),
        "content": content,
        "url": page,
        "published": _time(decision.created_at),
        "anyOf" if decision.multiple else "oneOf": options,
        "endTime": _time(end),
        "votersCount": tally.voters,
        "sensitive": False,
        **public_addressing(urls, group),
    }
    if decision.state == "closed":
        doc["closed"] = _time(end)
    return doc


async def _question(fed: Federation, decision: Decision, group: Group) -> dict[str, Any]:
    return decision_question(fed.urls, group, decision, await decisions.tally(decision))


async def on_decision_opened(fed: Federation, event: Event, group: Group | None) -> None:
    """The group publishes the decision as its Question to every member's server."""
    decision = await Decision.get(id=event.payload["decision_id"])
    group = group or await Group.get(id=decision.group_id)
    decision.object_uri = object_uri(fed.urls, group.slug, KIND, decision.id)
    await decision.save(update_fields=["object_uri"])
    await publish(fed, group, create_of(await _question(fed, decision, group)))


async def on_decision_closed(fed: Federation, event: Event, group: Group | None) -> None:
    """The closed decision goes out as an Update of the Question: closed, final counts, the result."""
    decision = await Decision.get(id=event.payload["decision_id"])
    group = group or await Group.get(id=decision.group_id)
    await publish(fed, group, update_of(await _question(fed, decision, group)))


async def route_vote(fed: Federation, item: Incoming, obj: dict) -> Outcome | None:
    """A vote (or other reply) on one of the group's decisions; None when ``obj`` answers no decision."""
    ref = local_object(fed.urls, id_of(obj.get("inReplyTo")))
    if ref is None or ref.kind != KIND:
        return None
    decision = await Decision.get_or_none(id=ref.id, group__slug=ref.slug)
    if decision is None:
        return ignored(f"a reply to an unknown decision #{ref.id}")
    name = obj.get("name")
    content, _ = content_and_language(obj)
    if not isinstance(name, str) or not name.strip() or (content or "").strip():
        return ignored(f"a reply to decision #{decision.id} is not a vote (a vote names an option and has no text)")
    account = await account_for(fed, item.actor)
    try:
        result = await decisions.vote(decision, account, [name[:200]], activity_uri=item.activity.get("id"))
    except (Conflict, InvalidInput, PermissionDenied) as exc:
        return ignored(f"vote refused: {exc}")
    ballot = ", ".join(decision.options[i] for i in result.choices)
    return done(f"decision #{decision.id}: vote {result.outcome} ({ballot})" + ("" if result.member else " (not a member: kept apart)"))


async def decision_document(urls: Urls, group: Group, ident: int) -> dict[str, Any] | None:
    """The Question of decision ``ident`` of ``group`` as served at its id, or None."""
    decision = await Decision.get_or_none(id=ident, group=group)
    if decision is None:
        return None
    return decision_question(urls, group, decision, await decisions.tally(decision))


async def close_due_decisions(fed: Federation) -> int:
    """Close the decisions whose time has come (their Updates follow as events); returns how many."""
    return await decisions.close_due()


FEATURE = Feature(
    name="decisions",
    outbound={
        "decision.opened": on_decision_opened,
        "decision.closed": on_decision_closed,
    },
    hooks={"reply": route_vote},
    timers=(close_due_decisions,),
)
"""Decisions: votes come in through the posts feature's ``reply`` hook (before campaigns' answers)."""

OBJECT_DOCUMENTS = {KIND: decision_document}
"""Object kinds served at ``{group}/objects/{kind}/{id}``."""

OBJECT_PAGES = {KIND: decision_page}
"""Where browsers asking for the object are sent."""

