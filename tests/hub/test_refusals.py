"""Tests for hub.services.refusals: why a post was not shared, told once a day per person, group and reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import Refused
from hub.models import Event, Membership, RefusalNotice
from hub.services import accounts, posts, refusals
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, group_post, member

pytestmark = pytest.mark.db


async def _explained() -> list[tuple[int, str]]:
    return [(e.payload["account_id"], e.payload["reason"]) for e in await Event.filter(kind="refusal.explained").order_by("id")]


def test_every_reason_says_why_and_what_to_do() -> None:
    """Each message names the group and is one short paragraph."""
    class Named:
        name = "Housing Action"

    for reason in refusals.REASONS:
        text = refusals.explanation(Named(), reason)
        assert "Housing Action" in text and len(text) < 300


async def test_once_a_day_per_reason(db) -> None:
    """Three refusals in a day bring one message; another reason brings its own; a day later, one more."""
    group = await create_group("housing", "Housing Action")
    carol = await account("carol")
    assert await refusals.explain(group, carol, "not_member") is True
    assert await refusals.explain(group, carol, "not_member") is False
    assert await refusals.explain(group, carol, "banned") is True
    await RefusalNotice.filter(account=carol, reason="not_member").update(sent_at=now() - timedelta(hours=25))
    assert await refusals.explain(group, carol, "not_member") is True
    assert await _explained() == [(carol.id, "not_member"), (carol.id, "banned"), (carol.id, "not_member")]
    with pytest.raises(ValueError):
        await refusals.explain(group, carol, "no such reason")


@pytest.mark.parametrize(("setup", "reason"), [
    ("stranger", "not_member"), ("pending", "pending"), ("banned", "banned"), ("private", "members_only"),
    ("moderators", "moderators_only"), ("held", "held"),
])
async def test_submit_names_the_reason(db, setup: str, reason: str) -> None:
    """posts.submit refuses with the right code (or holds), and the author is told once."""
    group = await create_group("housing", "Housing Action", private=setup == "private")
    author = await account("dana")
    if setup in ("pending", "banned"):
        await Membership.create(group=group, account=author, state=setup)
    if setup in ("moderators", "held"):
        await member(group, "dana")
        group.posting_mode = "moderators" if setup == "moderators" else "held_first"
        await group.save()
    if setup == "held":
        post = await group_post(group, author, "https://social.example/users/dana/statuses/1")
        assert post.state == "held"
    else:
        with pytest.raises(Refused) as caught:
            await group_post(group, author, "https://social.example/users/dana/statuses/1")
        assert caught.value.code == reason
        await posts.refuse(group, author, activity_uri="https://social.example/a/1", reason=str(caught.value), code=caught.value.code)
    assert await _explained() == [(author.id, reason)]


async def test_local_accounts_are_not_told(db) -> None:
    """A local account (no inbox) gets no message."""
    group = await create_group("housing", "Housing Action")
    admin = await accounts.create_admin("root", "a long enough password")
    assert await refusals.explain(group, admin, "not_member") is False
    assert await _explained() == []


def test_refusals_are_explained_in_the_readers_language() -> None:
    """The same refusal for a Spanish and an Arabic reader, the group's name kept."""
    from hub.languages import Catalogs

    class Named:
        name = "Housing Action"

    catalogs = Catalogs.load()
    spanish = refusals.explanation(Named(), "not_member", catalogs.get("es"))
    assert spanish.startswith("Housing Action no ha compartido tu publicación")
    assert refusals.explanation(Named(), "banned", catalogs.get("ar")).startswith("لم تشارك Housing Action منشورك")
    assert refusals.explanation(Named(), "held").startswith("Your post to Housing Action is held")
