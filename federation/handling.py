"""The vocabulary of features: what inbound handlers receive (``Incoming``) and return (``Outcome``),
what outbound handlers look like, and how a feature declares both (``Feature``, ``First``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.models import Event, Post

if TYPE_CHECKING:
    from federation.context import Federation
    from hub.models import Group

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
    raw: str | None = None
    """The activity exactly as received (the inbox's stored body), when it came through the inbox."""


Handler = Callable[["Federation", Incoming], Awaitable[Outcome]]


EventHandler = Callable[["Federation", "Event", "Group | None"], Awaitable[None]]
"""An outbound handler: turns one domain event into enqueued deliveries (or in-process calls)."""


@dataclass(frozen=True)
class First:
    """A handler that runs before the owner of its key and may decline, so the owner runs.

    Inbound it returns an ``Outcome`` or None (not mine); outbound it returns True when it handled the
    event. Several features may put a ``First`` on one key; they run in the registry's feature order.
    """

    handler: Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class Feature:
    """What one feature module does on the wire, declared in one place and assembled by federation.registry.

    - ``inbound``: (activity type, object type or ANY) -> handler (or ``First``);
    - ``outbound``: event kind -> event handler (or ``First``);
    - ``hooks``: hook point name (federation.hooks) -> function the feature adds there;
    - ``quiet``: event kinds it records knowingly without a federation side (e.g. ``group.created``);
    - ``timers``: time-driven work the worker runs every few seconds (``async fn(fed) -> int`` done).
    """

    name: str
    inbound: Mapping[tuple[str, str], Handler | First] = field(default_factory=dict)
    outbound: Mapping[str, EventHandler | First] = field(default_factory=dict)
    hooks: Mapping[str, Callable[..., Awaitable[Any]]] = field(default_factory=dict)
    quiet: frozenset[str] = frozenset()
    timers: tuple[Callable[..., Awaitable[int]], ...] = ()


async def event_post(event: Event) -> Post:
    """The post an event names, loaded once per event however many handlers of its chain ask."""
    cached = event.__dict__.get("_federation_post")
    if cached is None:
        cached = await Post.get(id=event.payload["post_id"])
        event.__dict__["_federation_post"] = cached
    return cached
