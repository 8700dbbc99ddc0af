"""Tests for hub.rows: model objects read by hand-written SQL are the ORM's, field for field, on either database."""

from __future__ import annotations

import pytest

from hub import rows
from hub.models import Account, Campaign, Group, Membership
from hub.models.session import Session
from hub.services import groups, sessions
from tests.hub.campaign_helpers import account

pytestmark = pytest.mark.db


def fields(instance) -> dict:
    """Every stored field of a model object, by column."""
    return {column: getattr(instance, field) for field, column in type(instance)._meta.fields_db_projection.items()}


async def test_built_objects_equal_the_orms(db) -> None:
    """Datetimes, JSON, booleans, nulls and foreign keys come back as the ORM reads them; the related object is attached."""
    alice = await account("alice")
    group = await groups.create_group("climate", "Climate", summary="Heat")
    await Membership.create(group=group, account=alice, state="accepted", role="moderator", reason=None)
    await Campaign.create(group=group, slug="heat", name="Heat", hashtags=["heat", "ola"], fundraising_target=500)
    started = await sessions.start(alice, user_agent="Phone")

    statement = (f"SELECT {rows.columns(Membership, 'm')}, {rows.columns(Group, 'g')}, {rows.columns(Campaign, 'c')} "
                 "FROM memberships m JOIN groups g ON g.id = m.group_id JOIN campaigns c ON c.group_id = g.id "
                 "WHERE m.account_id = ? AND c.slug = ?")
    [row] = await rows.select(statement, [alice.id, "heat"])
    membership = rows.build(Membership, row, "m")
    rows.attach(membership, "group", rows.build(Group, row, "g"))
    orm = await Membership.get(account=alice, group=group).select_related("group")
    assert fields(membership) == fields(orm) and fields(membership.group) == fields(orm.group)
    assert fields(rows.build(Campaign, row, "c")) == fields(await Campaign.get(slug="heat"))
    assert rows.build(Campaign, row, "c").hashtags == ["heat", "ola"]

    session, owner = await sessions.resume(started.token)
    assert fields(session) == fields(await Session.get(id=started.session.id))
    assert fields(owner) == fields(await Account.get(id=alice.id)) and session.account is owner


async def test_marks_are_numbered_for_postgres(db) -> None:
    """The same ``?`` statement runs on both databases, with several values."""
    alice, bob = await account("alice"), await account("bob")
    found = await rows.select("SELECT id FROM accounts WHERE id IN (?, ?) ORDER BY id", [bob.id, alice.id])
    assert [r[0] for r in found] == sorted([alice.id, bob.id])


async def test_writes_count_their_rows_and_returning_gives_the_orms_objects(db) -> None:
    """``write`` says how many rows changed; ``returning`` gives the changed rows, built as the ORM reads them, on either database."""
    alice, bob = await account("alice"), await account("bob")
    changed = await rows.write("UPDATE accounts SET display_name = ? WHERE id IN (?, ?)", ["Someone", alice.id, -1])
    assert changed == 1
    [row] = await rows.returning(f"UPDATE accounts SET display_name = ? WHERE id = ? RETURNING {rows.returned_columns(Account, 'a')}",
                                 ["Bob B.", bob.id])
    assert fields(rows.build(Account, row, "a")) == fields(await Account.get(id=bob.id))
    assert (await Account.get(id=alice.id)).display_name == "Someone" and rows.build(Account, row, "a").display_name == "Bob B."
