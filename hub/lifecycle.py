"""Declared lifecycles: each stateful row's states and allowed transitions, checked once at import.

A service moves a row with :meth:`Lifecycle.check`; anything not declared here is a Conflict. The
queues (inbox items, events, deliveries) move their rows only through hub.queue, which checks every
transition against these declarations. Their retry and give-up rules are declared here with them
(:class:`Retries`): how long a failed row waits before its next try, and the state it ends in when
the schedule is exhausted.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.errors import Conflict


@dataclass(frozen=True)
class Retries:
    """A queue's retry rules: ``delay(tries)`` seconds after ``tries`` failed tries, up to ``max_retries``
    retries after the first try, then ``give_up``; random ``jitter`` up to that many seconds × tries, and a
    peer's Retry-After honoured up to ``max_retry_after`` seconds (never past the end of the schedule)."""

    give_up: str
    max_retries: int
    delay: Callable[[int], float]
    jitter: float = 0.0
    max_retry_after: float = 0.0

    def next_delay(self, tries: int, retry_after: float | None = None, *, jitter: random.Random | None = None) -> float | None:
        """Seconds before the next try after ``tries`` failed tries; None when it is time to give up."""
        tries = max(tries, 1)
        if tries > self.max_retries:
            return None
        delay = float(self.delay(tries))
        if jitter is not None and self.jitter:
            delay += jitter.uniform(0, self.jitter) * tries
        if retry_after is not None and self.max_retry_after:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay


@dataclass(frozen=True)
class Lifecycle:
    """A small state graph: ``transitions[state]`` is the set of states it may move to."""

    name: str
    initial: frozenset[str]
    terminal: frozenset[str]
    transitions: Mapping[str, frozenset[str]]
    retries: Retries | None = None

    def __post_init__(self) -> None:
        states = set(self.transitions)
        for targets in self.transitions.values():
            unknown = set(targets) - states
            if unknown:
                raise ValueError(f"{self.name}: transitions to undeclared states {sorted(unknown)}")
        if not self.initial <= states or not self.terminal <= states:
            raise ValueError(f"{self.name}: initial/terminal states must be declared")
        for state in self.terminal:
            if self.transitions[state]:
                raise ValueError(f"{self.name}: terminal state {state} has transitions")
        if self.retries is not None:
            if len(self.initial) != 1:
                raise ValueError(f"{self.name}: a retried queue has one initial (active) state")
            active = next(iter(self.initial))
            if not self.can(active, active) or not self.can(active, self.retries.give_up):
                raise ValueError(f"{self.name}: retries need {active} -> {active} and {active} -> {self.retries.give_up}")

    @property
    def active(self) -> str:
        """The state of a row waiting in a queue (its one initial state)."""
        (state,) = self.initial
        return state
    @property
    def states(self) -> frozenset[str]:
        """Every declared state."""
        return frozenset(self.transitions)

    def can(self, current: str, target: str) -> bool:
        """Whether ``current`` may move to ``target``."""
        return target in self.transitions.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        """Raise Conflict unless ``current`` may move to ``target``."""
        if not self.can(current, target):
            raise Conflict(f"{self.name} cannot go from {current} to {target}")


def _graph(name: str, initial: set[str], terminal: set[str], edges: dict[str, set[str]], retries: Retries | None = None) -> Lifecycle:
    return Lifecycle(name, frozenset(initial), frozenset(terminal), {k: frozenset(v) for k, v in edges.items()}, retries)


MEMBERSHIP = _graph(
    "membership",
    initial={"pending", "accepted", "banned"},
    terminal=set(),
    edges={
        "pending": {"accepted", "rejected", "left", "banned"},
        "accepted": {"left", "removed", "banned", "gone"},
        "rejected": {"pending", "accepted", "banned"},
        "left": {"pending", "accepted", "banned"},
        "removed": {"pending", "accepted", "banned"},
        "gone": {"pending", "accepted", "banned"},
        "banned": {"left"},
    },
)
"""A person's (or group's) membership of a group; ``banned`` is left only by an unban."""

POST = _graph(
    "post",
    initial={"published", "held"},
    terminal={"deleted"},
    edges={
        "held": {"published", "removed", "deleted"},
        "published": {"removed", "deleted"},
        "removed": {"published", "deleted"},
        "deleted": set(),
    },
)
"""A group post: held for approval, published (announced), removed by moderators, deleted by its author."""

ITEM_RETRIES = Retries(give_up="failed", max_retries=4, delay=lambda tries: 5.0 * 4 ** (tries - 1))
"""Inbox items and events whose handler raised: retried after 5, 20, 80 and 320 s, failed after the fifth try."""

INBOX_ITEM = _graph(
    "inbox item",
    initial={"pending"},
    terminal={"done", "ignored", "failed"},
    edges={"pending": {"pending", "done", "ignored", "failed"}, "done": set(), "ignored": set(), "failed": set()},
    retries=ITEM_RETRIES,
)
"""A received activity: processed once by a worker, ignored with a reason, or failed after retries."""

DELIVERY_RETRIES = Retries(
    give_up="dead", max_retries=16, delay=lambda tries: (tries - 1) ** 4 + 15, jitter=30.0, max_retry_after=6 * 3600.0,
)
"""Mastodon's schedule: (tries-1)⁴ + 15 s plus up to 30 s × tries of jitter, 16 retries after the first try
(about 2.1 days in all), then dead; a peer's Retry-After wins up to six hours."""

DELIVERY = _graph(
    "delivery",
    initial={"queued"},
    terminal={"delivered", "cancelled"},
    edges={
        "queued": {"queued", "delivered", "dead", "cancelled"},
        "delivered": set(),
        "dead": {"queued", "cancelled"},
        "cancelled": set(),
    },
    retries=DELIVERY_RETRIES,
)
"""One signed POST to one inbox: retried while queued, then delivered, dead (given up: the dead letter, which
an operator may queue again or discard) or cancelled."""

EVENT = _graph(
    "event",
    initial={"pending"},
    terminal={"done", "failed"},
    edges={"pending": {"pending", "done", "failed"}, "done": set(), "failed": set()},
    retries=ITEM_RETRIES,
)
"""A domain event waiting for the federation layer to turn it into activities."""

INVITE = _graph(
    "invite",
    initial={"pending"},
    terminal={"accepted", "rejected", "revoked", "expired", "used"},
    edges={
        "pending": {"accepted", "rejected", "revoked", "expired", "used"},
        "accepted": set(),
        "rejected": set(),
        "revoked": set(),
        "expired": set(),
        "used": set(),
    },
)
"""An invitation: answered once (accepted/rejected), revoked by its sender, expired, or used (person invites)."""

GROUP_FOLLOW = _graph(
    "group follow",
    initial={"pending"},
    terminal=set(),
    edges={
        "pending": {"accepted", "rejected", "undone"},
        "accepted": {"undone", "rejected"},
        "rejected": {"pending"},
        "undone": {"pending"},
    },
)
"""A local group's follow of another group."""

REPORT = _graph(
    "report",
    initial={"open"},
    terminal={"resolved", "dismissed"},
    edges={"open": {"resolved", "dismissed"}, "resolved": set(), "dismissed": set()},
)
"""A report in a moderation queue."""

CAMPAIGN_POST = _graph(
    "campaign post",
    initial={"pending", "approved"},
    terminal=set(),
    edges={"pending": {"approved", "hidden"}, "approved": {"hidden"}, "hidden": {"approved"}},
)
"""A post gathered by a campaign: relay posts wait for organisers; members' posts are approved at once."""

CALL = _graph("call", initial={"open"}, terminal={"closed"}, edges={"open": {"closed"}, "closed": set()})
"""A call to action: open for answers until organisers close it."""

BOARD_ITEM = _graph(
    "board item", initial={"open"}, terminal={"removed"},
    edges={"open": {"met", "removed"}, "met": {"open", "removed"}, "removed": set()},
)
"""A need or an offer: open until organisers mark it met (reopened if that was a mistake); organisers may remove it,
and it is removed when its author edits it out of the post."""

ANNOUNCEMENT = _graph("announcement", initial={"published"}, terminal={"deleted"},
                      edges={"published": {"deleted"}, "deleted": set()})
"""A group's own announcement: published (editable, pinnable) until organisers delete it."""

RELAY = _graph(
    "relay subscription",
    initial={"pending"},
    terminal=set(),
    edges={
        "pending": {"accepted", "rejected", "undone"},
        "accepted": {"rejected", "undone"},
        "rejected": {"pending"},
        "undone": {"pending"},
    },
)
"""The hub's subscription to a relay."""

GATHERING = _graph("gathering", initial={"scheduled"}, terminal={"cancelled"}, edges={"scheduled": {"cancelled"}, "cancelled": set()})
"""A group's event (hub.models.gathering): scheduled until organisers cancel it."""

RSVP = _graph(
    "rsvp",
    initial={"going", "maybe", "declined", "waiting", "pending"},
    terminal={"refused"},
    edges={
        "going": {"maybe", "declined"},
        "maybe": {"going", "declined", "waiting", "pending"},
        "declined": {"going", "maybe", "waiting", "pending"},
        "waiting": {"going", "maybe", "declined"},
        "pending": {"going", "waiting", "maybe", "declined", "refused"},
        "refused": set(),
    },
)
"""An answer to a gathering: a place (going), on the waiting list, awaiting approval, maybe, not going, or refused."""

DECISION = _graph("decision", initial={"open"}, terminal={"closed"}, edges={"open": {"closed"}, "closed": set()})
"""A decision: open for votes until its closing time (or until organisers close it early), then closed with a result."""

LIBRARY_ENTRY = _graph("library entry", initial={"listed"}, terminal={"removed"}, edges={"listed": {"removed"}, "removed": set()})
"""An entry of a group's resource library: listed until organisers remove it."""

ALL = (MEMBERSHIP, POST, INBOX_ITEM, DELIVERY, EVENT, INVITE, GROUP_FOLLOW, REPORT, CAMPAIGN_POST, CALL, BOARD_ITEM, RELAY,
       ANNOUNCEMENT, GATHERING, RSVP, DECISION, LIBRARY_ENTRY)
