"""Tests for hub.services.groups: creating, finding and listing groups."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import Account, Event, Group, Membership
from hub.services import accounts, events, groups, members
from hub.services.groups import RESERVED_SLUGS, check_slug, create_group, get_group, list_groups

pytestmark = pytest.mark.db


async def test_create_group_stores_profile_keys_and_event(db) -> None:
    """A new group is open and public, has a matching RSA key pair and records group.created."""
    group = await create_group("climate", "  Climate Action ", summary="About", rules="Be kind")
    stored = await Group.get(slug="climate")
    assert (stored.name, stored.summary, stored.rules) == ("Climate Action", "About", "Be kind")
    assert (stored.visibility, stored.join_policy, stored.posting_mode, stored.kind) == ("public", "open", "members", "group")
    private_key = serialization.load_pem_private_key(stored.private_key_pem.encode(), password=None)
    public_key = serialization.load_pem_public_key(stored.public_key_pem.encode())
    assert private_key.public_key().public_numbers() == public_key.public_numbers()
    assert private_key.key_size >= 2048
    other = await create_group("other", "Other")
    assert other.private_key_pem != group.private_key_pem, "each group has its own key pair"
    event = await Event.get(group_id=group.id)
    assert (event.kind, event.payload, event.state) == ("group.created", {"slug": "climate"}, "pending")


async def test_closed_and_private_groups_need_approval(db) -> None:
    """closed=True makes joins need approval; private=True also hides the group and its posts."""
    closed = await create_group("closed", "Closed", closed=True)
    private = await create_group("private", "Private", private=True)
    assert (closed.visibility, closed.join_policy) == ("public", "approval")
    assert (private.visibility, private.join_policy) == ("private", "approval")


async def test_owner_becomes_accepted_owner_member(db) -> None:
    """Creating a group with an owner makes that account its accepted owner."""
    owner = await accounts.remote_account("https://social.example/users/ann", handle="ann@social.example")
    group = await create_group("owned", "Owned", owner=owner)
    membership = await Membership.get(group=group, account=owner)
    assert (membership.state, membership.role) == ("accepted", "owner")


@pytest.mark.parametrize("slug", ["", "Climate", "_climate", "climate_", "cli-mate", "cli mate", "café", "x" * 65])
def test_bad_slug_says_what_is_allowed(slug: str) -> None:
    """A malformed slug is refused with a message naming it and the allowed characters."""
    with pytest.raises(InvalidInput) as caught:
        check_slug(slug)
    assert repr(slug) in str(caught.value)
    assert "lower-case letters, digits or underscores" in str(caught.value)


@pytest.mark.parametrize("slug", ["x", "a1", "climate_action", "x" * 64])
def test_good_slugs_are_accepted(slug: str) -> None:
    """Lower-case letters, digits and inner underscores up to 64 characters make a slug."""
    assert check_slug(slug) == slug


async def test_bad_and_reserved_slugs_create_nothing(db) -> None:
    """create_group refuses bad and reserved slugs before touching the database."""
    with pytest.raises(InvalidInput, match="not valid"):
        await create_group("Bad Slug", "Bad")
    assert "admin" in RESERVED_SLUGS
    with pytest.raises(InvalidInput, match=r"'admin' is reserved; choose another"):
        await create_group("admin", "Admins")
    assert await Group.all().count() == 0
    assert await Event.all().count() == 0


async def test_duplicate_slug_is_a_conflict(db) -> None:
    """A second group with a taken slug is a Conflict naming the slug; the first stays alone."""
    await create_group("climate", "Climate")
    with pytest.raises(Conflict, match=r"slug 'climate' already exists"):
        await create_group("climate", "Another")
    assert await Group.all().count() == 1
    assert await Event.filter(kind="group.created").count() == 1


@pytest.mark.parametrize(("name", "kwargs"), [("", {}), ("   ", {}), ("x" * 201, {}), ("Ok", {"summary": "s" * 5001}), ("Ok", {"rules": "r" * 10001})])
async def test_name_summary_and_rules_limits(db, name: str, kwargs: dict) -> None:
    """Empty or over-long names and over-long summaries or rules are InvalidInput."""
    with pytest.raises(InvalidInput):
        await create_group("limits", name, **kwargs)


async def test_group_and_event_are_one_transaction(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """If recording group.created fails, the group and its owner membership are not created either."""
    owner = await accounts.remote_account("https://social.example/users/ann")

    async def failing_record(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(events, "record", failing_record)
    with pytest.raises(RuntimeError):
        await create_group("climate", "Climate", owner=owner)
    assert await Group.all().count() == 0
    assert await Membership.all().count() == 0


async def test_get_group_not_found_names_the_slug(db) -> None:
    """get_group of an unknown slug raises NotFound naming it."""
    with pytest.raises(NotFound, match="no group 'nowhere'"):
        await get_group("nowhere")


async def test_list_groups_counts_accepted_members_and_hides_private(db) -> None:
    """Listings are by name, count only accepted members and include private groups only when asked."""
    open_group = await create_group("bees", "Bees")
    closed = await create_group("ants", "Ants", closed=True)
    await create_group("secret", "Secret", private=True)
    for n in range(3):
        account = await accounts.remote_account(f"https://social.example/users/u{n}")
        await members.request_join(open_group, account, follow_uri=None)
        await members.request_join(closed, account, follow_uri=None)
    listed = await list_groups()
    assert [(g.slug, g.members) for g in listed] == [("ants", 0), ("bees", 3)]
    assert [g.slug for g in await list_groups(include_private=True)] == ["ants", "bees", "secret"]


async def test_member_counts_count_accepted_members_per_group(db) -> None:
    """member_counts counts accepted memberships per group with one grouped query; other states do not count."""
    first = await groups.create_group("first", "First")
    second = await groups.create_group("second", "Second")
    empty = await groups.create_group("empty", "Empty")
    for n, (group, state) in enumerate([(first, "accepted"), (first, "accepted"), (first, "pending"), (second, "accepted"), (second, "banned")]):
        account = await Account.create(uri=f"https://remote.example/users/{n}")
        await Membership.create(group=group, account=account, state=state)
    assert await groups.member_counts([first.id, second.id, empty.id]) == {first.id: 2, second.id: 1}
    assert await groups.member_counts([]) == {}
