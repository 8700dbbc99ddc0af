"""Hook points: the places where one feature's flow lets other features take part.

A feature declares ``hooks={"reply": fn}`` in its ``Feature``; federation.registry connects the
functions to these points, in its feature order, when it is imported (the dispatchers import it
before anything runs). The feature that owns a flow calls its point:

- ``precheck(fed, activity, actor)`` — the inbox, before storing: raise a PayloadError to refuse (4xx);
- ``follow(fed, group, account, follow_uri=...)`` — a Follow of a local group, before joining:
  the first ``Outcome`` returned ends the Follow there (refused), None lets it through;
- ``reply(fed, item, obj)`` — a Create, before it is matched to groups: the first ``Outcome``
  returned handles it (an answer to the group's own object), None makes it a post like any other;
- ``group_post(fed, group, post, obj)`` — a member's post newly stored in a group: each function
  returns notes (strings) for the inbox item's record;
- ``post_edit(fed, author, obj)`` — an author's Update of a post (one the hub stores, or one it only
  gathered from a relay): each function makes what it derived from the post follow the edit and
  returns notes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class HookPoint:
    """One named place in a flow, with the functions features connected to it (in registry order)."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self.functions: tuple[Callable[..., Awaitable[Any]], ...] = ()

    def connect(self, functions: tuple[Callable[..., Awaitable[Any]], ...]) -> None:
        """Set the connected functions (the registry does, once, at import)."""
        self.functions = functions

    async def each(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every connected function; their results in order."""
        return [await fn(*args, **kwargs) for fn in self.functions]

    async def first(self, *args: Any, **kwargs: Any) -> Any:
        """Call the connected functions in order until one returns something other than None; that value."""
        for fn in self.functions:
            result = await fn(*args, **kwargs)
            if result is not None:
                return result
        return None


PRECHECK = HookPoint("precheck", "refuse an activity at the inbox door (raise PayloadError)")
FOLLOW = HookPoint("follow", "refuse a Follow of a local group before joining (return an Outcome)")
REPLY = HookPoint("reply", "take a Create as an answer to the group's own object (return an Outcome)")
GROUP_POST = HookPoint("group_post", "act on a member's post newly stored in a group (return notes)")
POST_EDIT = HookPoint("post_edit", "follow an author's edit of a post (return notes)")

POINTS = {point.name: point for point in (PRECHECK, FOLLOW, REPLY, GROUP_POST, POST_EDIT)}
"""Every hook point by name: a feature naming another is refused by the registry."""
