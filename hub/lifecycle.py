"""Declared lifecycles: each stateful row's states and allowed transitions, checked once at import.

A service moves a row with :meth:`Lifecycle.check`; anything not declared here is a Conflict.
Retry and give-up policy lives with the worker that drives a lifecycle, not in ad-hoc loops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.errors import Conflict


@dataclass(frozen=True)
class Lifecycle:
    """A small state graph: ``transitions[state]`` is the set of states it may move to."""

    name: str
    initial: frozenset[str]
    terminal: frozenset[str]
    transitions: Mapping[str, frozenset[str]]

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


def _graph(name: str, initial: set[str], terminal: set[str], edges: dict[str, set[str]]) -> Lifecycle:
    return Lifecycle(name, frozenset(initial), frozenset(terminal), {k: frozenset(v) for k, v in edges.items()})


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

INBOX_ITEM = _graph(
    "inbox item",
    initial={"pending"},
    terminal={"done", "ignored", "failed"},
    edges={"pending": {"pending", "done", "ignored", "failed"}, "done": set(), "ignored": set(), "failed": set()},
)
"""A received activity: processed once by a worker, ignored with a reason, or failed after retries."""

DELIVERY = _graph(
    "delivery",
    initial={"queued"},
    terminal={"delivered", "cancelled"},
    edges={
        "queued": {"queued", "delivered", "dead", "cancelled"},
        "delivered": set(),
        "dead": {"queued"},
        "cancelled": set(),
    },
)
"""One signed POST to one inbox: retried while queued, then delivered, dead (given up: the dead letter, which
an operator may queue again) or cancelled."""

EVENT = _graph(
    "event",
    initial={"pending"},
    terminal={"done", "failed"},
    edges={"pending": {"pending", "done", "failed"}, "done": set(), "failed": set()},
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

BOARD_ITEM = _graph("board item", initial={"open"}, terminal=set(), edges={"open": {"met"}, "met": {"open"}})
"""A need or an offer: open until organisers mark it met (reopened if that was a mistake)."""

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

DECISION = _graph("decision", initial={"open"}, terminal={"closed"}, edges={"open": {"closed"}, "closed": set()})
"""A decision: open for votes until its closing time (or until organisers close it early), then closed with a result."""

LIBRARY_ENTRY = _graph("library entry", initial={"listed"}, terminal={"removed"}, edges={"listed": {"removed"}, "removed": set()})
"""An entry of a group's resource library: listed until organisers remove it."""

ALL = (MEMBERSHIP, POST, INBOX_ITEM, DELIVERY, EVENT, INVITE, GROUP_FOLLOW, REPORT, CAMPAIGN_POST, CALL, BOARD_ITEM, RELAY,
       DECISION, LIBRARY_ENTRY)
