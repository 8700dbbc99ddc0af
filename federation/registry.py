"""The federation features, assembled and checked: which handler takes each activity and each event.

Each module of federation/features declares what it does on the wire in one ``FEATURE``
(federation.handling.Feature). ``FEATURES`` lists them; :func:`assemble` builds the tables the
dispatchers use (federation.processing, federation.outbound, federation.inbox) and refuses, at
import, a key that two features own: a key may have one owner, and any number of ``First``
handlers that run before it in the order of ``FEATURES`` and may decline. A hook function is
connected to its hook point (federation.hooks) in the same order.

To add a feature: write ``federation/features/<name>.py`` with its ``FEATURE``, and add the module
to ``FEATURES`` below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from federation import hooks
from federation.errors import RegistryError
from federation.features import (
    campaigns,
    collaboration,
    decisions,
    gatherings,
    group_actor,
    group_deletion,
    group_suspension,
    library,
    members_only,
    membership,
    moderation,
    moving,
    organisers,
    partners,
    posts,
    relays,
    spaces,
)
from federation.handling import ANY, EventHandler, Feature, First, Handler, Incoming, Outcome

FEATURES: tuple[Feature, ...] = (
    members_only.FEATURE,  # first on members-only post events, and on follows of closed groups
    relays.FEATURE,  # first on Accept/Reject/Announce: takes those of subscribed relays
    posts.FEATURE,
    membership.FEATURE,
    group_actor.FEATURE,
    collaboration.FEATURE,
    moderation.FEATURE,
    decisions.FEATURE,  # before campaigns on the reply hook: votes on the group's decisions
    campaigns.FEATURE,
    group_deletion.FEATURE,
    group_suspension.FEATURE,
    organisers.FEATURE,
    gatherings.FEATURE,  # events: RSVPs, votes (reply hook), followed groups' Events; first on Accept/Reject/Delete
    library.FEATURE,
    moving.FEATURE,  # Move out (group.moved) and in (a member's account moved)
    spaces.FEATURE,  # First on Add/Remove/Block aimed at a local space, Undo{Follow} of one, Undo{Announce} by one; reply hook after campaigns'
    partners.FEATURE,  # last First on Create (a non-Causeway followed group's own posts), invite.sent (no Invite for Lemmy & co), membership.rejected
)
"""Every feature, in the order their ``First`` handlers and hook functions run."""


@dataclass(frozen=True)
class Chain:
    """Who handles one key: the ``First`` handlers in order (feature names with them), then the owner."""

    firsts: tuple[tuple[str, Callable[..., Awaitable[Any]]], ...]
    owner: tuple[str, Callable[..., Awaitable[Any]]]


@dataclass(frozen=True)
class Registry:
    """The assembled tables: inbound by (activity type, object type or ANY), outbound by event kind."""

    inbound: dict[tuple[str, str], Handler]
    outbound: dict[str, EventHandler]
    inbound_chains: dict[tuple[str, str], Chain]
    outbound_chains: dict[str, Chain]
    hooks: dict[str, tuple[Callable[..., Awaitable[Any]], ...]]
    quiet: frozenset[str]
    timers: tuple[Callable[..., Awaitable[int]], ...]


def _chains(features: Iterable[Feature], table: str) -> dict[Any, Chain]:
    owners: dict[Any, tuple[str, Callable[..., Awaitable[Any]]]] = {}
    firsts: dict[Any, list[tuple[str, Callable[..., Awaitable[Any]]]]] = {}
    for feature in features:
        for key, entry in getattr(feature, table).items():
            if isinstance(entry, First):
                firsts.setdefault(key, []).append((feature.name, entry.handler))
            elif key in owners:
                raise RegistryError(
                    f"{table} key {key!r} is declared by both {owners[key][0]} and {feature.name}; "
                    f"one of them must declare it as First(...) to run before the other"
                )
            else:
                owners[key] = (feature.name, entry)
    for key, chain in firsts.items():
        if key not in owners:
            names = ", ".join(name for name, _ in chain)
            raise RegistryError(f"{table} key {key!r} has First handlers ({names}) but no feature owns it")
    return {key: Chain(tuple(firsts.get(key, ())), owner) for key, owner in owners.items()}


def _inbound(chain: Chain) -> Handler:
    if not chain.firsts:
        return chain.owner[1]
    handlers = [fn for _, fn in chain.firsts]
    owner = chain.owner[1]

    async def run(fed: Any, item: Incoming) -> Outcome:
        for handler in handlers:
            outcome = await handler(fed, item)
            if outcome is not None:
                return outcome
        return await owner(fed, item)

    return run


def _outbound(chain: Chain) -> EventHandler:
    if not chain.firsts:
        return chain.owner[1]
    handlers = [fn for _, fn in chain.firsts]
    owner = chain.owner[1]

    async def run(fed: Any, event: Any, group: Any) -> None:
        for handler in handlers:
            if await handler(fed, event, group):
                return
        await owner(fed, event, group)

    return run


def assemble(features: Iterable[Feature]) -> Registry:
    """Check the declarations and build the dispatch tables; RegistryError on a conflict."""
    features = tuple(features)
    names = [feature.name for feature in features]
    if len(set(names)) != len(names):
        raise RegistryError(f"two features share a name: {sorted(n for n in names if names.count(n) > 1)}")
    inbound_chains = _chains(features, "inbound")
    outbound_chains = _chains(features, "outbound")
    connected: dict[str, list[Callable[..., Awaitable[Any]]]] = {name: [] for name in hooks.POINTS}
    for feature in features:
        for point, fn in feature.hooks.items():
            if point not in hooks.POINTS:
                raise RegistryError(f"{feature.name} connects to an unknown hook point {point!r}")
            connected[point].append(fn)
    quiet = frozenset().union(*(feature.quiet for feature in features))
    handled_and_quiet = quiet & set(outbound_chains)
    if handled_and_quiet:
        raise RegistryError(f"event kinds both handled and declared quiet: {sorted(handled_and_quiet)}")
    return Registry(
        inbound={key: _inbound(chain) for key, chain in inbound_chains.items()},
        outbound={key: _outbound(chain) for key, chain in outbound_chains.items()},
        inbound_chains=inbound_chains,
        outbound_chains=outbound_chains,
        hooks={name: tuple(fns) for name, fns in connected.items()},
        quiet=quiet,
        timers=tuple(timer for feature in features for timer in feature.timers),
    )


REGISTRY = assemble(FEATURES)
"""The tables of this hub's features."""

for _name, _functions in REGISTRY.hooks.items():
    hooks.POINTS[_name].connect(_functions)

INBOUND = REGISTRY.inbound
"""(activity type, object type or ANY) -> handler. Types not listed are ignored with a reason."""

OUTBOUND = REGISTRY.outbound
"""Event kind -> handler. Kinds not listed have no federation side (``REGISTRY.quiet`` names them)."""


def handler_for(kind: str, object_kind: str) -> Handler | None:
    """The handler for an activity, by (type, object type), falling back to (type, ANY)."""
    return INBOUND.get((kind, object_kind)) or INBOUND.get((kind, ANY))


def event_handler_for(kind: str) -> EventHandler | None:
    """The handler for a domain event kind, or None when it has no federation side."""
    return OUTBOUND.get(kind)


async def precheck(fed: Any, activity: dict, actor: str) -> None:
    """Run every feature's inbox precheck (each raises to refuse the activity at the door)."""
    await hooks.PRECHECK.each(fed, activity, actor)
