"""RSVPs to gatherings (a group's events): going, maybe or not going, from any fediverse app or the web.

Answers arrive as Mobilizon's ``Join``/``Leave``, as ``Accept``/``TentativeAccept``/``Reject`` of the
event (Friendica and others), as a vote in the poll the group sends to Mastodon (:data:`POLL_OPTIONS`),
or as a reply in one of several languages (:func:`answer_in_text`). Every answer goes through
:func:`respond`, which holds the event's row lock for the whole decision: the places are counted and
given in one transaction, so concurrent answers never over-book (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite runs one writing transaction at a time). When the event is full, answers go on
the waiting list in arrival order and move up as places free; when it needs approval, they wait for
an organiser (:func:`approve`, :func:`refuse`).

Each change records ``gathering.rsvp`` {gathering_id, rsvp_id, previous, promoted?}: the federation
layer confirms it by direct message, answers a ``Join`` with ``Accept``/``Reject`` and publishes the
new participantCount in an ``Update``.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.languages import ENGLISH, N_
from hub.lifecycle import RSVP
from hub.models import Account, Gathering, Group, Membership, Rsvp
from hub.services import blocks, events
from hub.services.gatherings import fill_places, going_count, local_when
from hub.services.members import ORGANISER_ROLES, is_member, require_role

ANSWERS = ("going", "maybe", "declined")
"""What a person can say."""
VIA = ("join", "leave", "accept", "tentative", "reject", "vote", "reply", "web", "cli")
POLL_OPTIONS = {N_("Going"): "going", N_("Maybe"): "maybe", N_("Can't go"): "declined"}
"""The options of the poll the group sends to Mastodon, and the answer each means."""

_PHRASES = {
    "declined": (
        "can't go", "cant go", "cannot go", "can't make it", "cant make it", "can't come", "cannot come", "not going",
        "i'm out", "count me out", "no puedo", "no voy", "no podré", "je ne peux pas", "je ne viens pas", "pas dispo",
        "ich kann nicht", "ich komme nicht", "não posso", "não vou", "non posso", "non vengo", "ik kan niet",
        "sitaweza", "siwezi kuja", "sitakuja", "لن أحضر", "لا أستطيع الحضور",
    ),
    "maybe": (
        "maybe", "perhaps", "might come", "not sure", "quizás", "quizas", "tal vez", "a lo mejor", "peut-être",
        "peut-etre", "vielleicht", "talvez", "forse", "misschien", "labda", "ربما",
    ),
    "going": (
        "going", "i'm going", "i'll be there", "ill be there", "i will be there", "count me in", "i'm in", "im in",
        "i'll come", "i will come", "see you there", "voy", "yo voy", "allí estaré", "alli estare", "me apunto",
        "je viens", "j'y serai", "je serai là", "ich komme", "ich bin dabei", "bin dabei", "eu vou", "estarei lá",
        "io vengo", "ci sarò", "ik kom", "ik ben erbij", "nitakuja", "nimo", "سأحضر", "أنا قادم", "أنا قادمة",
    ),
}
"""Reply phrases per answer (several languages); "not going" is looked for before "going"."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split())


_PATTERNS = {
    answer: re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(_fold(p)) for p in sorted(set(phrases), key=len, reverse=True))
                       + r")(?![\w'])")
    for answer, phrases in _PHRASES.items()
}


def answer_in_text(text: str) -> str | None:
    """The answer a reply gives (``going``, ``maybe``, ``declined``), mentions aside; None when it says none."""
    folded = _fold(re.sub(r"(?<!\w)@[\w.@:-]+", " ", text or ""))
    for answer in ("declined", "maybe", "going"):
        if _PATTERNS[answer].search(folded):
            return answer
    return None


def poll_answer(name: str | None, options: dict[str, str] | None = None) -> str | None:
    """The answer a poll vote means (its option's name, among ``options`` — the option names in every language,
    :data:`POLL_OPTIONS` by default), or None for an unknown option."""
    wanted = _fold(name or "")
    return next((answer for option, answer in (options or POLL_OPTIONS).items() if _fold(option) == wanted), None)


@dataclass(frozen=True)
class Counts:
    """How many answered what; ``going`` is the participantCount everywhere (page, CLI, Event)."""

    going: int = 0
    maybe: int = 0
    waiting: int = 0
    pending: int = 0
    declined: int = 0


@dataclass(frozen=True)
class RsvpResult:
    """The outcome of an answer: the row and whether its status changed."""

    rsvp: Rsvp
    changed: bool
    previous: str | None


async def counts(gathering: Gathering) -> Counts:
    """Answers of a gathering by status."""
    rows = await Rsvp.filter(gathering_id=gathering.id).values_list("status", flat=True)
    tally: dict[str, int] = {}
    for status in rows:
        tally[status] = tally.get(status, 0) + 1
    return Counts(**{k: tally.get(k, 0) for k in ("going", "maybe", "waiting", "pending", "declined")})


async def people(gathering: Gathering) -> dict[str, list[Rsvp]]:
    """Answers by status, in arrival order, with their accounts (the waiting list in its order)."""
    out: dict[str, list[Rsvp]] = {}
    for row in await Rsvp.filter(gathering_id=gathering.id).order_by("arrived_at", "id").prefetch_related("account"):
        out.setdefault(row.status, []).append(row)
    return out


async def _checked_answerer(gathering: Gathering, group: Group, account: Account) -> None:
    if await Membership.filter(group=group, account=account, state="banned").exists() or await blocks.group_blocked(group, account.uri):
        raise PermissionDenied(f"{group.slug} does not take answers from this account")
    if group.visibility != "public" and not await is_member(group, account):
        raise PermissionDenied(f"only members of {group.slug} can answer its events")


def _open_for_answers(gathering: Gathering) -> None:
    if gathering.state == "cancelled":
        raise Conflict(f"“{gathering.title}” is cancelled")
    if gathering.ends_at <= now():
        raise Conflict(f"“{gathering.title}” is over")


async def respond(gathering: Gathering, account: Account, answer: str, *, via: str,
                  activity_uri: str | None = None) -> RsvpResult:
    """Record an answer (going, maybe, declined) under the event's lock; Conflict when cancelled or over.

    "going" takes a free place, or a place on the waiting list when the event is full, or waits for
    an organiser when the event needs approval. Leaving a place moves the waiting list up.
    """
    if answer not in ANSWERS:
        raise InvalidInput(f"an answer is one of {', '.join(ANSWERS)}")
    if via not in VIA:
        raise InvalidInput(f"via must be one of {', '.join(VIA)}")
    _open_for_answers(gathering)
    group = await Group.get(id=gathering.group_id)
    await _checked_answerer(gathering, group, account)
    async with in_transaction():
        locked = await Gathering.filter(id=gathering.id).select_for_update().first()
        _open_for_answers(locked)
        row = await Rsvp.filter(gathering_id=locked.id, account_id=account.id).first()
        previous = row.status if row is not None else None
        if previous == "refused":
            raise PermissionDenied(f"the organisers of “{locked.title}” declined your request")
        status = answer
        if answer == "going":
            if previous in ("going", "waiting", "pending"):
                status = previous
            elif locked.join_mode == "restricted":
                status = "pending"
            elif locked.capacity is not None and await going_count(locked) >= locked.capacity:
                status = "waiting"
        if row is None:
            row = await Rsvp.create(gathering_id=locked.id, account=account, status=status, via=via,
                                    activity_uri=activity_uri, arrived_at=now())
        elif status == previous:
            if activity_uri and via in ("join", "accept", "tentative"):
                row.activity_uri, row.via = activity_uri, via
                await row.save(update_fields=["activity_uri", "via", "updated_at"])
            return RsvpResult(row, False, previous)
        else:
            RSVP.check(previous, status)
            row.status, row.via = status, via
            row.activity_uri = activity_uri or row.activity_uri
            if status in ("waiting", "pending"):
                row.arrived_at = now()
            await row.save()
        if not account.is_local:
            await events.record("gathering.rsvp", group, gathering_id=locked.id, rsvp_id=row.id, previous=previous)
        if previous == "going":
            await fill_places(locked, group)
    return RsvpResult(row, True, previous)


async def find_rsvp(gathering: Gathering, handle_or_uri: str) -> Rsvp:
    """The answer of one person (``@name@host`` or actor URL), or NotFound."""
    key = handle_or_uri.strip().lstrip("@").lower()
    for row in await Rsvp.filter(gathering_id=gathering.id).prefetch_related("account"):
        if row.account.uri == handle_or_uri.strip() or (row.account.handle or "").lower() == key:
            return row
    raise NotFound(f"{handle_or_uri} has not answered event #{gathering.id}")


async def _decide(gathering: Gathering, rsvp: Rsvp, *, approve_it: bool, by: Account | None) -> Rsvp:
    group = await Group.get(id=gathering.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    if approve_it:
        _open_for_answers(gathering)
    async with in_transaction():
        locked = await Gathering.filter(id=gathering.id).select_for_update().first()
        row = await Rsvp.filter(id=rsvp.id).first()
        if row is None or row.status != "pending":
            raise Conflict(f"this answer is {row.status if row else 'gone'}, not waiting for approval")
        target = "refused"
        if approve_it:
            full = locked.capacity is not None and await going_count(locked) >= locked.capacity
            target = "waiting" if full else "going"
        RSVP.check(row.status, target)
        row.status = target
        await row.save(update_fields=["status", "updated_at"])
        await events.record("gathering.rsvp", group, gathering_id=locked.id, rsvp_id=row.id, previous="pending")
    return row


async def approve(gathering: Gathering, rsvp: Rsvp, *, by: Account | None = None) -> Rsvp:
    """An organiser approves an answer waiting for approval: going, or the waiting list when full."""
    return await _decide(gathering, rsvp, approve_it=True, by=by)


async def refuse(gathering: Gathering, rsvp: Rsvp, *, by: Account | None = None) -> Rsvp:
    """An organiser declines an answer waiting for approval (a ``Join`` gets a ``Reject``)."""
    return await _decide(gathering, rsvp, approve_it=False, by=by)


async def waiting_position(rsvp: Rsvp) -> int:
    """Place of an answer on the waiting list (1 = next to move up)."""
    ahead = await Rsvp.filter(gathering_id=rsvp.gathering_id, status="waiting").order_by("arrived_at", "id").values_list("id", flat=True)
    return list(ahead).index(rsvp.id) + 1 if rsvp.id in ahead else 0


async def confirmation(gathering: Gathering, rsvp: Rsvp, *, promoted: bool = False,
                       translations: gettext.NullTranslations = ENGLISH, language: str | None = None,
                       zone: str | None = None) -> str:
    """The direct message confirming an answer, with the count of people going, in the reader's language
    (``language``, with the time in the reader's ``zone`` when known)."""
    t = translations
    when = local_when(gathering, language, zone)
    tally = await counts(gathering)
    if gathering.capacity:
        places = t.gettext("%(going)d going of %(capacity)d places") % {"going": tally.going, "capacity": gathering.capacity}
    else:
        places = t.gettext("%(going)d going") % {"going": tally.going}
    values = {"title": gathering.title, "when": when, "places": places}
    if rsvp.status == "going":
        if promoted:
            return t.gettext("A place opened up: you're going to “%(title)s”, %(when)s. %(places)s. "
                             "Reply “can't go” to free your place.") % values
        return t.gettext("You're going to “%(title)s”, %(when)s. %(places)s. Reply “can't go” to free your place.") % values
    if rsvp.status == "waiting":
        return t.gettext("“%(title)s” is full: you are number %(position)d on the waiting list. "
                         "We'll tell you if a place opens up.") % {**values, "position": await waiting_position(rsvp)}
    if rsvp.status == "pending":
        return t.gettext("Thanks! The organisers of “%(title)s” approve each participant; we'll tell you when they have.") % values
    if rsvp.status == "maybe":
        return t.gettext("Noted: maybe for “%(title)s”, %(when)s. Answer “going” to take a place.") % values
    if rsvp.status == "refused":
        return t.gettext("Sorry, the organisers of “%(title)s” could not give you a place.") % values
    return t.gettext("Noted: you're not going to “%(title)s”. %(places)s.") % values
