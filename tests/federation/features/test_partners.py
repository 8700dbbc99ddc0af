"""Partners beyond Causeway: which groups understand Invite, and the origin exception for followed groups' members."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federation.errors import OriginError
from federation.features.partners import INVITE_DEAF_SOFTWARE, REFUSAL_TEXTS, SILENT_REJECT_SOFTWARE, understands_invite
from federation.inbox import check_origin

PAYLOADS = Path("/work/shared/interop/payloads")
needs_payloads = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared/interop/payloads is not present")


def load(path: str) -> dict:
    """A real payload."""
    return json.loads((PAYLOADS / path).read_text())


@pytest.mark.parametrize("software", sorted(INVITE_DEAF_SOFTWARE))
def test_software_that_ignores_invite_gets_the_fallback(software: str) -> None:
    """Lemmy, Mbin, kbin, Mobilizon, Friendica & co. never take an Invite, whatever the actor looks like."""
    assert not understands_invite(software, {"type": "Group"})


def test_causeway_and_microblogs_keep_the_invite() -> None:
    """Causeway takes Invite; Mastodon gets it too (with the readable note the collaboration feature adds)."""
    assert understands_invite("causeway", {"type": "Group"})
    assert understands_invite("mastodon", {"type": "Person"})


@needs_payloads
def test_unknown_software_is_told_by_the_actor_shape() -> None:
    """Without NodeInfo: Lemmy's community (attributedTo its moderators) and Mobilizon's group (members, openness)
    get the fallback; a Causeway-shaped group (moderators named as such) and a person keep the Invite."""
    assert not understands_invite(None, load("lemmy/objects/group.json"))
    assert not understands_invite(None, load("mobilizon/objects/group.json"))
    causeway_like = {"type": "Group", "attributedTo": "https://hub.test/groups/a/moderators",
                     "moderators": "https://hub.test/groups/a/moderators"}
    assert understands_invite(None, causeway_like)
    assert understands_invite(None, load("mastodon/objects/person.json"))


def test_lemmy_family_users_are_told_and_every_case_has_a_text() -> None:
    """The users told by direct message are Lemmy's, Mbin's and kbin's; each refusal case names the group."""
    assert SILENT_REJECT_SOFTWARE == {"lemmy", "mbin", "kbin"}
    assert all("%(group)s" in text for text in REFUSAL_TEXTS.values())


MOBILIZON = "https://mobilizon.test"


def _create(owner: str, actor: str = f"{MOBILIZON}/@camille", kind: str = "Create") -> dict:
    return {"id": f"{MOBILIZON}/events/1/activity", "type": kind, "actor": actor,
            "object": {"id": f"{MOBILIZON}/events/1", "type": "Event", "attributedTo": owner}}


def test_a_followed_groups_object_may_come_from_its_member() -> None:
    """Mobilizon's organiser creates the group's Event: accepted only when that group is the followed owner."""
    group = f"{MOBILIZON}/@ateliers"
    check_origin(_create(group), f"{MOBILIZON}/@camille", followed_owner=group)
    check_origin(_create(group, kind="Update"), f"{MOBILIZON}/@camille", followed_owner=group)
    with pytest.raises(OriginError, match="attributed to someone else"):
        check_origin(_create(group), f"{MOBILIZON}/@camille")  # not followed
    with pytest.raises(OriginError, match="attributed to someone else"):
        check_origin(_create(f"{MOBILIZON}/@other"), f"{MOBILIZON}/@camille", followed_owner=group)
    elsewhere = "https://elsewhere.test/@ateliers"
    with pytest.raises(OriginError, match="attributed to someone else"):
        check_origin(_create(elsewhere), f"{MOBILIZON}/@camille", followed_owner=elsewhere)
