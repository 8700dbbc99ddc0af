"""The vocabulary of inbound handlers: what they receive (``Incoming``) and return (``Outcome``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from federation.context import Federation

ANY = "*"
"""Object-type wildcard in handler tables."""


@dataclass(frozen=True)
class Outcome:
    """What processing did: ``done`` or ``ignored``, with a reason for the record."""

    state: str
    reason: str | None = None


def done(reason: str | None = None) -> Outcome:
    """The activity was acted on."""
    return Outcome("done", reason)


def ignored(reason: str) -> Outcome:
    """The activity was understood and deliberately not acted on."""
    return Outcome("ignored", reason)


@dataclass(frozen=True)
class Incoming:
    """An activity being processed, with its resolved object (when embedded or fetched)."""

    activity: dict
    actor: str
    obj: dict | None
    object_id: str | None


Handler = Callable[["Federation", Incoming], Awaitable[Outcome]]
