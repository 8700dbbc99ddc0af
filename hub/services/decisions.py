"""Group decisions by vote: organisers (or members, where the group allows it) ask, members vote, the result is kept.

A decision has 2 to :data:`MAX_OPTIONS` options, single or multiple choice, a closing time given with
its IANA time zone, and an optional quorum (how many members must vote for the result to count).

The voting rule (one ballot per person):

- Only accepted members' votes count. Anyone else's vote is kept apart (``member=False``) and shown
  as such, never counted; banned and blocked accounts are refused. Membership is taken when the
  vote arrives.
- **Single choice**: a person's ballot holds one option. A later vote for another option replaces
  the earlier one while the decision is open — unless it was opened with ``changeable=False``,
  where the first vote is final and later ones are refused. A repeated vote for the same option
  changes nothing.
- **Multiple choice**: a person's ballot holds each option at most once. A later vote for another
  option adds it (Mastodon sends a multiple-choice ballot as one vote per chosen option); a
  repeated vote for an option already chosen changes nothing; options are never taken back
  (no fediverse app can send that).
- Votes at or after the closing time, on a closed decision, or naming an option the decision does
  not have are refused and store nothing.

Closing: :func:`close_due` (run by the worker) closes decisions whose time has come; organisers may
close one early (:func:`close_decision`). The result — members' votes per option, voters, the
non-members' votes apart, whether the quorum was met and the winning option(s) — is stored on the
decision and shown in the group's decision log.

Events recorded: ``decision.opened`` {decision_id} (the group publishes its Question),
``decision.closed`` {decision_id} (the Question is updated with the result).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.lifecycle import DECISION
from hub.models import Account, Decision, Group, Membership, Vote
from hub.services import blocks, events
from hub.services.members import ORGANISER_ROLES, is_member, require_role

MAX_OPTIONS = 10
MIN_OPTIONS = 2
MAX_OPTION_LENGTH = 100
MAX_QUESTION = 500
MAX_DETAILS = 5000
MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=366)
MAX_QUORUM = 1_000_000
OPENERS = ("organisers", "members")
"""Values of ``Group.decisions_by``: who may open decisions."""
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA time zone called ``name`` (default UTC); InvalidInput naming it (about the ``timezone`` field) when unknown."""
    text = (name or "UTC").strip()
    try:
        if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){0,2}", text):
            raise ZoneInfoNotFoundError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {text!r}: use an IANA name such as Europe/Madrid or America/Bogota",
                           field="timezone") from None


def closing_time(value: str, zone_name: str | None = None, *, moment: datetime | None = None) -> datetime:
    """The UTC closing time of ``value``: a date-time (read in ``zone_name`` unless it has an offset) or a
    duration from now (``90m``, ``12h``, ``3d``, ``1w``); InvalidInput (about the ``closes`` field) when it is neither."""
    zone = time_zone(zone_name)
    text = (value or "").strip()
    start = moment or now()
    match = _DURATION.match(text)
    if match:
        return start + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text[:40])
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a closing time: write YYYY-MM-DDTHH:MM (in the time zone given) "
                           "or a duration such as 90m, 12h, 3d, 1w", field="closes") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _options(names: Sequence[str]) -> list[str]:
    cleaned = [" ".join(str(n).split()) for n in names]
    cleaned = [n for n in cleaned if n]
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise InvalidInput(f"a decision needs {MIN_OPTIONS} to {MAX_OPTIONS} options (one per line)", field="options")
    for name in cleaned:
        if len(name) > MAX_OPTION_LENGTH:
            raise InvalidInput(f"option {name[:30]!r}… is longer than {MAX_OPTION_LENGTH} characters", field="options")
    folded = [n.casefold() for n in cleaned]
    if len(set(folded)) != len(folded):
        raise InvalidInput("two options have the same name", field="options")
    return cleaned


async def may_open(group: Group, account: Account | None) -> bool:
    """Whether ``account`` may open a decision in ``group`` (None: the CLI, always)."""
    if account is None or account.is_admin:
        return True
    if group.decisions_by == "members":
        return await is_member(group, account)
    return await Membership.filter(group=group, account=account, state="accepted", role__in=list(ORGANISER_ROLES)).exists()


async def set_openers(group: Group, who: str, *, by: Account | None = None) -> Group:
    """Let ``organisers`` or all ``members`` open decisions (organisers only)."""
    await require_role(group, by, ORGANISER_ROLES)
    if who not in OPENERS:
        raise InvalidInput(f"who may open decisions must be {' or '.join(OPENERS)}")
    group.decisions_by = who
    await group.save(update_fields=["decisions_by", "updated_at"])
    return group


async def open_decision(
    group: Group, *, question: str, options: Sequence[str], closes_at: datetime, timezone: str = "UTC",
    multiple: bool = False, changeable: bool = True, quorum: int | None = None, details: str = "",
    by: Account | None = None,
) -> Decision:
    """Open a vote; the group publishes it as a Question (``decision.opened``)."""
    if not await may_open(group, by):
        who = "members" if group.decisions_by == "members" else "organisers"
        raise PermissionDenied(f"only the group's {who} may open decisions")
    question = " ".join((question or "").split())
    if not question:
        raise InvalidInput("a decision needs a question", field="question")
    if len(question) > MAX_QUESTION:
        raise InvalidInput(f"the question is limited to {MAX_QUESTION} characters", field="question")
    details = (details or "").strip()
    if len(details) > MAX_DETAILS:
        raise InvalidInput(f"details are limited to {MAX_DETAILS:,} characters", field="details")
    names = _options(options)
    time_zone(timezone)
    if closes_at.tzinfo is None:
        raise InvalidInput("the closing time needs a time zone", field="closes")
    moment = now()
    if closes_at < moment + MIN_DURATION:
        raise InvalidInput("the closing time must be at least a minute from now", field="closes")
    if closes_at > moment + MAX_DURATION:
        raise InvalidInput("the closing time must be within a year", field="closes")
    if quorum is not None and not (isinstance(quorum, int) and 1 <= quorum <= MAX_QUORUM):
        raise InvalidInput(f"the quorum must be a whole number from 1 to {MAX_QUORUM:,} (or none)", field="quorum")
    async with in_transaction():
        decision = await Decision.create(
            group=group, question=question, details=details, options=names, multiple=bool(multiple),
            changeable=bool(changeable), quorum=quorum, closes_at=closes_at.astimezone(UTC),
            timezone=(timezone or "UTC").strip(), state="open", created_by=by,
        )
        await events.record("decision.opened", group, decision_id=decision.id)
    return decision


async def get_decision(decision_id: int, *, group: Group | None = None) -> Decision:
    """The decision with this id (in ``group`` when given), or NotFound."""
    decision = await Decision.get_or_none(id=decision_id)
    if decision is None or (group is not None and decision.group_id != group.id):
        raise NotFound(f"no decision #{decision_id}")
    return decision


async def list_decisions(group: Group, *, state: str | None = None) -> list[Decision]:
    """The group's decisions: open ones first (closing soonest first), then closed ones, newest first."""
    query = Decision.filter(group=group)
    if state is not None:
        query = query.filter(state=state)
    rows = await query.order_by("-id")
    return [d for d in rows if d.state == "open"][::-1] + [d for d in rows if d.state != "open"]


def is_open(decision: Decision, moment: datetime | None = None) -> bool:
    """Whether votes are taken: open and before its closing time."""
    return decision.state == "open" and (moment or now()) < decision.closes_at


def option_index(decision: Decision, name: str) -> int:
    """The index of the option called ``name`` (exact, else ignoring case and spacing); InvalidInput when none."""
    text = " ".join(str(name or "").split())
    if text in decision.options:
        return decision.options.index(text)
    folded = [o.casefold() for o in decision.options]
    if text.casefold() in folded:
        return folded.index(text.casefold())
    raise InvalidInput(f"decision #{decision.id} has no option {text[:100]!r}")


@dataclass(frozen=True)
class VoteResult:
    """What a vote did: ``recorded`` (a new ballot or a new option on it), ``replaced`` or ``unchanged``."""

    outcome: str
    member: bool
    choices: tuple[int, ...]
    """The person's ballot after the vote (option indexes)."""


async def vote(decision: Decision, account: Account, names: Sequence[str], *, activity_uri: str | None = None) -> VoteResult:
    """Record ``account``'s vote for the options ``names`` under the module's rule; nothing is stored when refused."""
    if not names:
        raise InvalidInput("a vote names at least one option")
    choices = sorted({option_index(decision, n) for n in names})
    if not decision.multiple and len(choices) > 1:
        raise InvalidInput("this decision takes one option per person")
    group = await Group.get(id=decision.group_id)
    if await Membership.filter(group=group, account=account, state="banned").exists() or await blocks.group_blocked(group, account.uri):
        raise PermissionDenied(f"{group.slug} does not take votes from this account")
    member = await is_member(group, account)
    async with in_transaction():
        current = await Decision.filter(id=decision.id).select_for_update().first()
        if current is None or not is_open(current):
            closed = current.closed_at if current is not None and current.closed_at else decision.closes_at
            raise Conflict(f"voting on decision #{decision.id} closed at {closed.isoformat(timespec='minutes')}")
        existing = await Vote.filter(decision=decision, account=account).order_by("choice")
        have = {v.choice for v in existing}
        if decision.multiple:
            new = [c for c in choices if c not in have]
            for choice in new:
                await Vote.create(decision=decision, account=account, choice=choice, member=member, activity_uri=activity_uri)
            return VoteResult("recorded" if new else "unchanged", member, tuple(sorted(have | set(new))))
        choice = choices[0]
        if have == {choice}:
            return VoteResult("unchanged", member, (choice,))
        if existing and not decision.changeable:
            raise Conflict(f"votes on decision #{decision.id} are final: your first vote stands")
        if existing:
            await Vote.filter(decision=decision, account=account).delete()
        await Vote.create(decision=decision, account=account, choice=choice, member=member, activity_uri=activity_uri)
        return VoteResult("replaced" if existing else "recorded", member, (choice,))


@dataclass(frozen=True)
class Tally:
    """Votes per option: members' (counted) and others' (apart), with how many people voted on each side."""

    counts: list[int]
    voters: int
    others: list[int]
    other_voters: int
    quorum_met: bool
    winners: list[int]
    """Indexes of the options with the most members' votes (several on a tie; none without votes)."""


async def tally(decision: Decision) -> Tally:
    """Count the decision's votes now (members counted, others apart) and whether the quorum is met."""
    rows = await Vote.filter(decision=decision).values_list("account_id", "choice", "member")
    counts, others = [0] * len(decision.options), [0] * len(decision.options)
    voters, other_voters = set(), set()
    for account_id, choice, member in rows:
        if not 0 <= choice < len(counts):
            continue
        if member:
            counts[choice] += 1
            voters.add(account_id)
        else:
            others[choice] += 1
            other_voters.add(account_id)
    top = max(counts) if counts else 0
    winners = [i for i, n in enumerate(counts) if n == top] if top else []
    quorum_met = decision.quorum is None or len(voters) >= decision.quorum
    return Tally(counts, len(voters), others, len(other_voters), quorum_met, winners)


async def ballots(decision: Decision) -> tuple[list[tuple[Account, list[int]]], list[tuple[Account, list[int]]]]:
    """Who voted for what: (members, others), each [(account, option indexes)] in order of first vote."""
    rows = await Vote.filter(decision=decision).order_by("id").prefetch_related("account")
    sides: tuple[dict[int, tuple[Account, list[int]]], dict[int, tuple[Account, list[int]]]] = ({}, {})
    for row in rows:
        side = sides[0] if row.member else sides[1]
        side.setdefault(row.account_id, (row.account, []))[1].append(row.choice)
    return list(sides[0].values()), list(sides[1].values())


async def _close(decision: Decision, *, moment: datetime) -> bool:
    """Close one open decision and store its result; False when another process closed it first."""
    async with in_transaction():
        changed = await Decision.filter(id=decision.id, state="open").update(state="closed", closed_at=moment)
        if not changed:
            return False
        DECISION.check("open", "closed")
        decision.state, decision.closed_at = "closed", moment
        result = await tally(decision)
        decision.result = {
            "counts": result.counts, "voters": result.voters, "others": result.others,
            "other_voters": result.other_voters, "quorum_met": result.quorum_met, "winners": result.winners,
        }
        await decision.save(update_fields=["result"])
        group = await Group.get(id=decision.group_id)
        await events.record("decision.closed", group, decision_id=decision.id)
    return True


async def close_decision(decision: Decision, *, by: Account | None = None) -> Decision:
    """Close a decision before its time (organisers, or whoever opened it); Conflict when already closed."""
    group = await Group.get(id=decision.group_id)
    if by is not None and (by.id != decision.created_by_id or not await is_member(group, by)):
        await require_role(group, by, ORGANISER_ROLES)
    if decision.state != "open":
        raise Conflict(f"decision #{decision.id} is already closed")
    moment = min(now(), decision.closes_at)
    if not await _close(decision, moment=moment):
        raise Conflict(f"decision #{decision.id} is already closed")
    return decision


async def close_due(moment: datetime | None = None, *, limit: int = 100) -> int:
    """Close every open decision whose closing time has passed (the worker calls this); returns how many it closed.

    Each is closed at its own closing time, once however many workers look at the same moment."""
    moment = moment or now()
    closed = 0
    for decision in await Decision.filter(state="open", closes_at__lte=moment).order_by("closes_at").limit(limit):
        if await _close(decision, moment=decision.closes_at):
            closed += 1
    return closed


def local_time(decision: Decision, moment: datetime | None = None) -> datetime:
    """A moment (default: the closing time) in the decision's own time zone."""
    return (moment or decision.closes_at).astimezone(time_zone(decision.timezone))
