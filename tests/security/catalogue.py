"""The hostile-request catalogue: each case registers a sender and what it must lead to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tests.federation.harness import SignOptions
from tests.security.hostile import (
    Scene,
)

Sent = tuple[httpx.Response, dict | None]


@dataclass(frozen=True)
class Case:
    """One hostile request and what it must lead to."""

    send: Callable[[Scene], Awaitable[Sent]]
    status: int
    inbox: int = 0
    """Inbox items the request may add (1 when the inbox must accept it for processing to judge)."""
    state: str | None = None
    """Final state of that item."""
    reason: str = ""
    """Substring of the refusal (error body) or of the item's recorded reason."""


CASES: dict[str, Case] = {}


def case(status: int, *, inbox: int = 0, state: str | None = None, reason: str = ""):
    """Register the decorated sender under its name."""

    def register(send: Callable[[Scene], Awaitable[Sent]]):
        CASES[send.__name__] = Case(send, status, inbox, state, reason)
        return send

    return register


def ignored(reason: str) -> dict:
    """Options of a case the inbox stores and processing ignores."""
    return {"inbox": 1, "state": "ignored", "reason": reason}


async def create_sent(s: Scene, sign: SignOptions = SignOptions(), **note_fields) -> Sent:
    activity = s.create(s.alice, s.note(s.alice, **note_fields))
    return await s.post(activity, s.alice, sign=sign), activity
