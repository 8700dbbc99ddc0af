"""Tests for hub.services.sessions: server-side sessions start, resume, are touched at most once a minute, end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import NotFound
from hub.models.session import Session
from hub.services import sessions
from tests.hub.campaign_helpers import account

pytestmark = pytest.mark.db


async def test_start_resume_and_end(db) -> None:
    """A started session resumes by its token (never stored), and ends for good."""
    alice = await account("alice")
    started = await sessions.start(alice, user_agent="Firefox   on\nLinux")
    row = await Session.get(id=started.session.id)
    assert row.token_hash == sessions.token_hash(started.token) and started.token not in row.token_hash
    assert row.user_agent == "Firefox on Linux"
    resumed = await sessions.resume(started.token)
    assert resumed is not None and resumed[1].id == alice.id
    assert await sessions.end(started.token) is True
    assert await sessions.resume(started.token) is None
    assert await sessions.end(started.token) is False


@pytest.mark.parametrize("token", [None, 42, "", "short", "x" * 500, "unknown-token-of-the-right-length-000"])
async def test_bad_tokens_resume_nothing(db, token) -> None:
    """Missing, malformed and unknown tokens name no session."""
    assert await sessions.resume(token) is None


async def test_expired_sessions_end(db) -> None:
    """A session past its expiry is deleted when it is next used."""
    started = await sessions.start(await account("alice"))
    await Session.filter(id=started.session.id).update(expires_at=now() - timedelta(seconds=1))
    assert await sessions.resume(started.token) is None
    assert not await Session.filter(id=started.session.id).exists()


async def test_last_seen_is_written_at_most_once_a_minute(db) -> None:
    """Using a session marks it seen, but not more often than TOUCH_EVERY."""
    started = await sessions.start(await account("alice"))
    old = now() - timedelta(minutes=5)
    await Session.filter(id=started.session.id).update(last_seen_at=old)
    await sessions.resume(started.token)
    seen = (await Session.get(id=started.session.id)).last_seen_at
    assert seen > old
    await sessions.resume(started.token)
    assert (await Session.get(id=started.session.id)).last_seen_at == seen


async def test_people_end_only_their_own_sessions(db) -> None:
    """end_one refuses another account's session; end_others keeps the one named."""
    alice, mallory = await account("alice"), await account("mallory")
    first = await sessions.start(alice)
    second = await sessions.start(alice)
    with pytest.raises(NotFound):
        await sessions.end_one(mallory, first.session.id)
    assert [s.id for s in await sessions.list_for(alice)] != []
    assert await sessions.end_others(alice, keep=second.session) == 1
    assert [s.id for s in await sessions.list_for(alice)] == [second.session.id]
    await sessions.end_one(alice, second.session.id)
    assert await sessions.list_for(alice) == []


async def test_the_list_leaves_out_expired_sessions(db) -> None:
    """A session past its end is not listed (nor one that ended a second ago); one ending in a minute is."""
    alice = await account("alice")
    started = [await sessions.start(alice) for _ in range(3)]
    moment = now()
    for one, end in zip(started, (moment - timedelta(days=1), moment - timedelta(seconds=1), moment + timedelta(minutes=1))):
        await Session.filter(id=one.session.id).update(expires_at=end)
    assert [s.id for s in await sessions.list_for(alice)] == [started[2].session.id]
