"""The organisers' console: who may do what, CSRF on every form, and each action reaching its service."""

from __future__ import annotations

import pytest

from hub.models import Event, Group, Invite, Membership, Post
from tests.web.test_pages import make_post

pytestmark = pytest.mark.db

GET_PAGES = ["", "/members", "/posts", "/invites", "/collaborations", "/follows", "/reports"]


async def scene(web):
    """climate, owned by olivia, with bob pending, carol a member, and one post by carol."""
    olivia, bob, carol, mallory = [await web.person(n) for n in ("olivia", "bob", "carol", "mallory")]
    group = await web.group_with("climate", name="Climate Action", closed=True, role_of={olivia: "owner", carol: "member", mallory: "member"})
    pending = await Membership.create(group=group, account=bob, state="pending")
    post = await make_post(group, carol, "Carol's post")
    carol_membership = await Membership.get(group=group, account=carol)
    return {"olivia": olivia, "bob": bob, "carol": carol, "mallory": mallory, "group": group, "pending": pending,
            "post": post, "carol_membership": carol_membership}


def console_posts(s) -> list[tuple[str, dict]]:
    """Every console POST of the scene, with a plausible form."""
    base = "/console/groups/climate"
    return [
        (f"{base}/profile", {"name": "Hijacked", "summary": "", "rules": "", "join_policy": "open", "posting_mode": "members"}),
        (f"{base}/members/{s['pending'].id}/approve", {}),
        (f"{base}/members/{s['pending'].id}/reject", {}),
        (f"{base}/members/{s['carol_membership'].id}/remove", {}),
        (f"{base}/members/{s['carol_membership'].id}/ban", {"reason": "x"}),
        (f"{base}/posts/{s['post'].id}/remove", {}),
        (f"{base}/posts/{s['post'].id}/publish", {}),
        (f"{base}/invites/1/revoke", {}),
        (f"{base}/invites", {"target": "@dana@social.example"}),
        (f"{base}/follows", {"target": "@neighbours@social.example"}),
        (f"{base}/follows/1/undo", {}),
        (f"{base}/follows/1/relay", {"relay": "on", "hashtag": "x"}),
        (f"{base}/members/{s['carol_membership'].id}/role", {"role": "admin"}),
        (f"{base}/members/{s['carol_membership'].id}/unban", {}),
        (f"{base}/reports/1/resolve", {}),
    ]


async def test_console_needs_sign_in(web) -> None:
    """Signed-out visitors are sent to the sign-in page."""
    await scene(web)
    for suffix in GET_PAGES:
        response = await web.client.get(f"/console/groups/climate{suffix}")
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert (await web.client.get("/console")).status_code == 303


async def test_non_organiser_gets_403_everywhere(web) -> None:
    """A signed-in member who is no organiser gets 403 for every console page and action, and nothing changes."""
    s = await scene(web)
    await web.sign_in(s["mallory"])
    for suffix in GET_PAGES:
        assert (await web.client.get(f"/console/groups/climate{suffix}")).status_code == 403, suffix
    for path, data in console_posts(s):
        response = await web.post_form(path, data, token_from="/console")
        assert response.status_code == 403, path
    assert (await web.post_form("/console/groups/climate/avatar", files={"avatar": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10, "image/png")}, token_from="/console")).status_code == 403
    group = await Group.get(slug="climate")
    assert group.name == "Climate Action" and group.icon_path is None
    assert (await Membership.get(id=s["pending"].id)).state == "pending"
    assert (await Membership.get(id=s["carol_membership"].id)).state == "accepted"
    assert (await Post.get(id=s["post"].id)).state == "published"


async def test_every_form_needs_csrf(web) -> None:
    """Without the session's token every POST is refused with 403 (even for the owner)."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    for path, data in [*console_posts(s), ("/console/groups", {"slug": "x", "name": "X"}), ("/logout", {})]:
        response = await web.client.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 403, path
        assert "The form expired" in response.text
    assert (await Membership.get(id=s["pending"].id)).state == "pending"


async def test_owner_approves_removes_bans_and_removes_posts(web) -> None:
    """The owner approves a pending member, removes a post, bans a member; events for federation are recorded."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    page = await web.client.get("/console/groups/climate/members")
    assert "Waiting for approval" in page.text and "bob@social.example" in page.text

    response = await web.post_form(f"/console/groups/climate/members/{s['pending'].id}/approve", token_from="/console")
    assert response.status_code == 303
    assert (await Membership.get(id=s["pending"].id)).state == "accepted"
    follow_up = await web.client.get(response.headers["location"])
    assert "is now a member" in follow_up.text

    await web.post_form(f"/console/groups/climate/posts/{s['post'].id}/remove", {"reason": "spam"}, token_from="/console")
    assert (await Post.get(id=s["post"].id)).state == "removed"

    await web.post_form(f"/console/groups/climate/members/{s['carol_membership'].id}/ban", {"reason": "abuse"}, token_from="/console")
    banned = await Membership.get(id=s["carol_membership"].id)
    assert banned.state == "banned" and banned.reason == "abuse"
    kinds = set(await Event.all().values_list("kind", flat=True))
    assert {"membership.accepted", "post.removed", "membership.banned"} <= kinds


async def test_moderator_may_remove_posts_but_not_approve(web) -> None:
    """A moderator removes posts; approving needs an owner or admin."""
    s = await scene(web)
    await Membership.filter(id=s["carol_membership"].id).update(role="moderator")
    await web.sign_in(s["carol"])
    assert (await web.client.get("/console/groups/climate/posts")).status_code == 200
    removed = await web.post_form(f"/console/groups/climate/posts/{s['post'].id}/remove", token_from="/console")
    assert removed.status_code == 303
    refused = await web.post_form(f"/console/groups/climate/members/{s['pending'].id}/approve", token_from="/console")
    assert refused.status_code == 403
    assert (await web.post_form("/console/groups/climate/profile", {"name": "X"}, token_from="/console")).status_code == 403


async def test_profile_edit(web) -> None:
    """The owner edits name, about, rules and policies; bad values are explained."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    form = {"name": "Climate Now", "summary": "New *about*", "rules": "Rule one", "join_policy": "open", "posting_mode": "held_first"}
    response = await web.post_form("/console/groups/climate/profile", form, token_from="/console")
    assert response.status_code == 303
    group = await Group.get(slug="climate")
    assert (group.name, group.summary, group.rules, group.join_policy, group.posting_mode) == (
        "Climate Now", "New *about*", "Rule one", "open", "held_first")
    bad = await web.post_form("/console/groups/climate/profile", {**form, "join_policy": "whatever", "rules": "Typed rule"},
                              token_from="/console")
    assert bad.status_code == 400
    assert "join policy must be one of" in bad.text and "Typed rule" in bad.text
    assert (await Group.get(slug="climate")).rules == "Rule one"


async def test_admin_may_run_any_group(web) -> None:
    """The instance admin has the console of every group."""
    s = await scene(web)
    await web.sign_in(await web.admin())
    assert (await web.client.get("/console/groups/climate/members")).status_code == 200
    await web.post_form(f"/console/groups/climate/members/{s['pending'].id}/reject", token_from="/console")
    assert (await Membership.get(id=s["pending"].id)).state == "rejected"


async def test_group_creation_is_for_admins_unless_open(web_factory) -> None:
    """Only admins create groups, unless HUB_OPEN_GROUP_CREATION lets any fediverse account."""
    closed_hub = await web_factory()
    alice = await closed_hub.person("alice")
    await closed_hub.sign_in(alice)
    assert "Create a group" not in (await closed_hub.client.get("/console")).text
    refused = await closed_hub.post_form("/console/groups", {"slug": "mine", "name": "Mine"}, token_from="/console")
    assert refused.status_code == 403
    assert not await Group.filter(slug="mine").exists()


async def test_open_group_creation(web_factory) -> None:
    """With open creation a fediverse account creates a group and owns it; bad slugs are explained."""
    hub = await web_factory(HUB_OPEN_GROUP_CREATION="true")
    alice = await hub.person("alice")
    await hub.sign_in(alice)
    assert "Create a group" in (await hub.client.get("/console")).text
    bad = await hub.post_form("/console/groups", {"slug": "Not Valid", "name": "X"}, token_from="/console")
    assert bad.status_code == 400 and "is not valid" in bad.text
    made = await hub.post_form("/console/groups", {"slug": "mine", "name": "Mine", "closed": "on"}, token_from="/console")
    assert made.status_code == 303 and made.headers["location"] == "/console/groups/mine"
    group = await Group.get(slug="mine")
    assert group.join_policy == "approval"
    assert (await Membership.get(group=group, account=alice)).role == "owner"


async def test_invite_answers_check_direction_and_role(web) -> None:
    """Received invites are accepted or declined by organisers; a sent one cannot be 'accepted' by its sender."""
    s = await scene(web)
    partner = await web.person("partnergroup")
    from datetime import timedelta
    from hub.clock import now
    incoming = await Invite.create(direction="incoming", kind="collaboration", group=s["group"], counterpart=partner,
                                   object_uri="https://social.example/groups/collab", object_name="Joint campaign",
                                   invite_uri="https://social.example/invites/1", expires_at=now() + timedelta(days=3))
    await web.sign_in(s["olivia"])
    page = await web.client.get("/console/groups/climate/invites")
    assert "Joint campaign" in page.text
    wrong = await web.post_form(f"/console/groups/climate/invites/{incoming.id}/revoke", token_from="/console")
    assert wrong.status_code == 404
    declined = await web.post_form(f"/console/groups/climate/invites/{incoming.id}/reject", token_from="/console")
    assert declined.status_code == 303
    assert (await Invite.get(id=incoming.id)).state == "rejected"


async def test_members_of_other_groups_cannot_act_here(web) -> None:
    """Owning one group gives no rights in another."""
    s = await scene(web)
    other_owner = await web.person("dave")
    await web.group_with("housing", role_of={other_owner: "owner"})
    await web.sign_in(other_owner)
    assert (await web.client.get("/console/groups/climate/members")).status_code == 403
    response = await web.post_form(f"/console/groups/climate/members/{s['pending'].id}/approve", token_from="/console")
    assert response.status_code == 403
    # and a membership id of another group is not found through this group's console
    await web.sign_in(s["olivia"])
    housing_member = await Membership.get(group__slug="housing", account=other_owner)
    response = await web.post_form(f"/console/groups/climate/members/{housing_member.id}/remove", token_from="/console")
    assert response.status_code == 404


async def test_send_person_invite_and_follow_a_group(web) -> None:
    """The owner invites a person by handle and follows a remote group; both go to their services."""
    from hub.models import GroupFollow
    s = await scene(web)
    web.remote.person("dana")
    web.remote.person("neighbours")
    await web.sign_in(s["olivia"])
    sent = await web.post_form("/console/groups/climate/invites", {"target": "@dana@social.example", "message": "Join us"}, token_from="/console")
    assert sent.status_code == 303
    invite = await Invite.get(direction="outgoing").prefetch_related("counterpart")
    assert invite.counterpart.uri == "https://social.example/users/dana" and invite.kind == "membership"
    assert invite.object_uri == "http://127.0.0.1:8123/groups/climate" and invite.message == "Join us"
    page = await web.client.get("/console/groups/climate/invites")
    assert "is on its way" in page.text and "dana@social.example" in page.text
    revoked = await web.post_form(f"/console/groups/climate/invites/{invite.id}/revoke", token_from="/console")
    assert revoked.status_code == 303 and (await Invite.get(id=invite.id)).state == "revoked"

    followed = await web.post_form("/console/groups/climate/follows", {"target": "@neighbours@social.example", "relay": "on"}, token_from="/console")
    assert followed.status_code == 303
    row = await GroupFollow.get(group=s["group"])
    assert row.relay and row.state == "pending"
    filtered = await web.post_form(f"/console/groups/climate/follows/{row.id}/relay", {"relay": "on", "hashtag": "#RentStrike"}, token_from="/console")
    assert filtered.status_code == 303
    row = await GroupFollow.get(id=row.id)
    assert (row.relay, row.hashtag) == (True, "rentstrike")
    assert "#rentstrike" in (await web.client.get("/console/groups/climate/follows")).text
    bad = await web.post_form(f"/console/groups/climate/follows/{row.id}/relay", {"hashtag": "not a tag!"}, token_from="/console")
    assert "is not a hashtag" in (await web.client.get(bad.headers["location"])).text
    assert (await GroupFollow.get(id=row.id)).relay
    switched_off = await web.post_form(f"/console/groups/climate/follows/{row.id}/relay", {"hashtag": ""}, token_from="/console")
    assert switched_off.status_code == 303
    row = await GroupFollow.get(id=row.id)
    assert (row.relay, row.hashtag) == (False, None)
    undone = await web.post_form(f"/console/groups/climate/follows/{row.id}/undo", token_from="/console")
    assert undone.status_code == 303 and (await GroupFollow.get(id=row.id)).state == "undone"

    unknown = await web.post_form("/console/groups/climate/invites", {"target": "nobody"}, token_from="/console")
    page = await web.client.get(unknown.headers["location"])
    assert "could not look up" in page.text


async def test_roles_unban_and_reports(web) -> None:
    """The owner makes a member moderator, bans and unbans, and resolves a report; all through the moderation service."""
    from hub.models import ModerationAction, Report
    s = await scene(web)
    await web.sign_in(s["olivia"])
    made = await web.post_form(f"/console/groups/climate/members/{s['carol_membership'].id}/role", {"role": "moderator"}, token_from="/console")
    assert made.status_code == 303
    assert (await Membership.get(id=s["carol_membership"].id)).role == "moderator"
    bad = await web.post_form(f"/console/groups/climate/members/{s['carol_membership'].id}/role", {"role": "emperor"}, token_from="/console")
    assert "role must be one of" in (await web.client.get(bad.headers["location"])).text

    await web.post_form(f"/console/groups/climate/members/{s['carol_membership'].id}/ban", {"reason": "abuse", "remove_posts": "on"}, token_from="/console")
    assert (await Membership.get(id=s["carol_membership"].id)).state == "banned"
    assert (await Post.get(id=s["post"].id)).state == "removed"
    await web.post_form(f"/console/groups/climate/members/{s['carol_membership'].id}/unban", token_from="/console")
    assert (await Membership.get(id=s["carol_membership"].id)).state != "banned"

    report = await Report.create(group=s["group"], reporter_uri="https://social.example/users/x", target_uri=s["mallory"].uri,
                                 comment="rude replies", object_uris=[])
    page = await web.client.get("/console/groups/climate/reports")
    assert "rude replies" in page.text and s["mallory"].uri in page.text
    await web.post_form(f"/console/groups/climate/reports/{report.id}/resolve", token_from="/console")
    assert (await Report.get(id=report.id)).state == "resolved"
    assert set(await ModerationAction.all().values_list("action", flat=True)) >= {"role", "report_resolved"}


async def test_an_invite_sent_as_a_follow_says_so(web) -> None:
    """A sent invite that went out as the space's follow (its receiver ignores Invite) says so while it waits."""
    from datetime import timedelta
    from hub.clock import now
    from hub.models import GroupFollow
    s = await scene(web)
    community = await web.person("community")
    follow = await GroupFollow.create(group=s["group"], target=community, follow_uri="http://127.0.0.1:8123/follows/1")
    invite = await Invite.create(direction="outgoing", kind="collaboration", group=s["group"], counterpart=community,
                                 object_uri="http://127.0.0.1:8123/groups/space", object_name="Housing", follow=follow,
                                 invite_uri="http://127.0.0.1:8123/invites/1", expires_at=now() + timedelta(days=3))
    await web.sign_in(s["olivia"])
    assert "sent as a follow; moderators told" in (await web.client.get("/console/groups/climate/invites")).text
    await Invite.filter(id=invite.id).update(state="accepted")
    assert "sent as a follow" not in (await web.client.get("/console/groups/climate/invites")).text
