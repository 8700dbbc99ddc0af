"""Calls to action: organisers ask for people (a shift, a petition, a demonstration); people answer "I'm in".

Answers come from Mastodon as a reply with a keyword (:func:`is_signup_text`, several languages)
or as a vote in the poll the group attaches, or from the web. Members' answers count towards what
is needed; non-members' answers are kept apart (``non_members="apart"``) or refused (``"ignore"``).

Events recorded: ``call.published`` {call_id} (the group publishes its Question), ``call.closed``
{call_id} (the Question is updated as closed), ``call.signup`` {call_id, signup_id} (the person gets
a direct message confirming it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.lifecycle import CALL
from hub.models import Account, CallToAction, Campaign, Group, MediaFile, Membership, Signup
from hub.services import blocks, events
from hub.services.members import ORGANISER_ROLES, is_member, require_role
from hub.timezones import check_zone, parse_local

KINDS = ("shift", "petition", "demonstration", "other")
NON_MEMBER_POLICIES = ("apart", "ignore")
VIA = ("reply", "vote", "web")
POLL_OPTION = "I'm in"
"""The one option of the poll the group attaches to a call."""
MAX_NEEDED = 100_000

SIGNUP_PHRASES = (
    # English
    "i'm in", "im in", "i am in", "count me in", "sign me up", "i'll be there", "ill be there", "i will be there",
    "i'll come", "i will come",
    # Spanish
    "me apunto", "cuenta conmigo", "contad conmigo", "apúntame", "apuntame", "allí estaré", "alli estare", "yo voy",
    # French
    "j'en suis", "je viens", "compte sur moi", "comptez sur moi", "inscris-moi", "inscrivez-moi", "je serai là",
    # German
    "ich bin dabei", "bin dabei", "zählt auf mich", "zähl auf mich", "ich komme",
    # Portuguese
    "estou dentro", "conta comigo", "contem comigo", "eu vou", "estarei lá",
    # Italian
    "ci sono", "contate su di me", "conta su di me", "io vengo",
    # Catalan, Dutch, Polish
    "m'apunto", "compteu amb mi", "ik doe mee", "ik ben erbij", "wchodzę", "jestem za",
    # Swahili
    "nimo", "niko ndani", "nitakuja", "nihesabu", "niandikishe",
    # Arabic
    "أنا معكم", "أنا مشارك", "أنا مشاركة", "سأشارك", "سجلني", "سجّلني", "سأحضر",
)
"""Phrases that mean "I'm in" in a reply (compared lower-case, apostrophes and accents normalised)."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split())


_PHRASES = tuple(sorted({_fold(p) for p in SIGNUP_PHRASES}, key=len, reverse=True))
_PHRASE_RE = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in _PHRASES) + r")(?![\w'])")


def is_signup_text(text: str) -> bool:
    """Whether a reply says "I'm in" (``count me in``, ``me apunto``, ``ich bin dabei``…), mentions aside."""
    cleaned = re.sub(r"(?<!\w)@[\w.@:-]+", " ", text or "")
    return bool(_PHRASE_RE.search(_fold(cleaned)))


def is_poll_vote(name: str | None, content: str | None) -> bool:
    """Whether a Note is a vote for the call's poll option: its ``name`` is the option and it has no text."""
    return bool(name) and _fold(name) == _fold(POLL_OPTION) and not (content or "").strip()


@dataclass(frozen=True)
class CallStatus:
    """Who answered a call and how many are still needed."""

    call: CallToAction
    members: list[Signup]
    """Members' signups (counted), oldest first, with their accounts."""
    others: list[Signup]
    """Non-members' signups (shown apart, not counted)."""

    @property
    def counted(self) -> int:
        """Members signed up."""
        return len(self.members)

    @property
    def remaining(self) -> int:
        """How many more people are needed (never below zero)."""
        return max(self.call.needed - self.counted, 0)

    @property
    def filled(self) -> bool:
        """Whether the call has as many people as it needs."""
        return self.counted >= self.call.needed


@dataclass(frozen=True)
class SignupResult:
    """The outcome of an answer: the signup and whether it is new."""

    signup: Signup
    created: bool


def _text(value: str, name: str, limit: int, *, required: bool = False) -> str:
    """A call's text ``name`` (also its form field's name), cleaned; InvalidInput about that field."""
    value = " ".join((value or "").split()) if name != "details" else (value or "").strip()
    if required and not value:
        raise InvalidInput(f"a call needs {name}", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} is limited to {limit:,} characters", field=name)
    return value


async def create_call(
    group: Group, *, what: str, needed: int, where: str = "", when: str = "", time_zone: str | None = None,
    details: str = "", kind: str = "shift",
    campaign: Campaign | None = None, non_members: str = "apart", image: MediaFile | None = None, by: Account | None = None,
) -> CallToAction:
    """Publish a call (organisers only); the group sends it as a Question with the poll option "I'm in".

    ``when`` is a local date and time (``2026-12-05T09:00``) in ``time_zone`` (the group's zone by default),
    stored in UTC with its zone; empty for a call without a time.
    """
    await require_role(group, by, ORGANISER_ROLES)
    zone_name = time_zone or group.time_zone
    what, where, details = _text(what, "what", 500, required=True), _text(where, "where", 500), _text(details, "details", 5000)
    starts_at = None
    if (when or "").strip():
        try:
            check_zone(zone_name)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="time_zone") from None
        try:
            starts_at = parse_local(when, zone_name)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="when") from None
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if non_members not in NON_MEMBER_POLICIES:
        raise InvalidInput(f"non-members' answers must be {' or '.join(NON_MEMBER_POLICIES)}", field="non_members")
    if not isinstance(needed, int) or not 1 <= needed <= MAX_NEEDED:
        raise InvalidInput(f"needed must be a whole number from 1 to {MAX_NEEDED:,}", field="needed")
    if campaign is not None and campaign.group_id != group.id:
        raise InvalidInput("the campaign belongs to another group", field="campaign")
    async with in_transaction():
        call = await CallToAction.create(
            group=group, campaign=campaign, kind=kind, what=what, where_text=where, starts_at=starts_at,
            time_zone=zone_name if starts_at else None, details=details,
            needed=needed, state="open", non_members=non_members, image=image, created_by=by,
        )
        await events.record("call.published", group, call_id=call.id)
    return call


async def get_call(call_id: int, *, group: Group | None = None) -> CallToAction:
    """The call with this id (in ``group`` when given), or NotFound."""
    call = await CallToAction.get_or_none(id=call_id)
    if call is None or (group is not None and call.group_id != group.id):
        raise NotFound(f"no call #{call_id}")
    return call


async def close_call(call: CallToAction, *, by: Account | None = None) -> CallToAction:
    """Close a call: no more answers; event ``call.closed``."""
    group = await Group.get(id=call.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        CALL.check(call.state, "closed")
        call.state, call.closed_at = "closed", now()
        await call.save(update_fields=["state", "closed_at"])
        await events.record("call.closed", group, call_id=call.id)
    return call


async def sign_up(call: CallToAction, account: Account, *, via: str, activity_uri: str | None = None) -> SignupResult:
    """Record someone's "I'm in"; idempotent per person. Conflict when closed; PermissionDenied for ignored non-members."""
    if via not in VIA:
        raise InvalidInput(f"via must be one of {', '.join(VIA)}")
    if call.state != "open":
        raise Conflict("this call is closed")
    group = await Group.get(id=call.group_id)
    if await Membership.filter(group=group, account=account, state="banned").exists() or await blocks.group_blocked(group, account.uri):
        raise PermissionDenied(f"{group.slug} does not take answers from this account")
    member = await is_member(group, account)
    if not member and call.non_members == "ignore":
        raise PermissionDenied(f"only members of {group.slug} can answer this call")
    async with in_transaction():
        existing = await Signup.get_or_none(call=call, account=account)
        if existing is not None:
            return SignupResult(existing, False)
        signup = await Signup.create(call=call, account=account, via=via, member=member, activity_uri=activity_uri)
        if not account.is_local:
            await events.record("call.signup", group, call_id=call.id, signup_id=signup.id)
    return SignupResult(signup, True)


async def withdraw(call: CallToAction, account: Account) -> None:
    """Take back an answer while the call is open. Conflict when the call is closed; NotFound when the
    account has no answer to take back (never answered, or already withdrew)."""
    if call.state != "open":
        raise Conflict("this call is closed: answers can no longer be withdrawn")
    if not await Signup.filter(call=call, account=account).delete():
        raise NotFound("you have no sign-up to this call to withdraw (it may have been withdrawn already)")


async def status(call: CallToAction) -> CallStatus:
    """Members (counted) and others (apart) who answered, oldest first."""
    rows = await Signup.filter(call=call).order_by("id").prefetch_related("account")
    return CallStatus(call, [s for s in rows if s.member], [s for s in rows if not s.member])


async def list_calls(group: Group, *, state: str | None = None, campaign: Campaign | None = None) -> list[CallToAction]:
    """The group's calls, newest first; optionally of one state or campaign."""
    query = CallToAction.filter(group=group)
    if state is not None:
        query = query.filter(state=state)
    if campaign is not None:
        query = query.filter(campaign=campaign)
    return await query.order_by("-id").prefetch_related("image")
