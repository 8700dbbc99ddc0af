"""Tests for web.admin_console and web.admin_groups: each administrators' action, and each refusal (a signed-in
non-administrator, a form without its CSRF token, bad input), with the moderation log written and nothing
changed on refusal."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest

from hub.models import Account, Delivery, Event, Group, InstanceSetting, ModerationAction, Peer, RelaySubscription, Report
from hub.clock import now
from hub.services import accounts, moderation
from tests.web.conftest import HUB_BASE, WebHub

ADMIN = "/console/admin"


def log_actions() -> list[str]:
    """The actions of the moderation log, oldest first (awaited by the tests)."""
    return ModerationAction.all().order_by("id").values_list("action", flat=True)


async def signed_in_admin(web: WebHub) -> Account:
    """A local administrator signed in on the test's client."""
    admin = await web.admin()
    await web.sign_in(admin)
    return admin


async def post(web: WebHub, path: str, data: dict | None = None, page: str = ADMIN) -> httpx.Response:
    """POST a form of the administrators' console with this session's CSRF token."""
    return await web.post_form(path, data or {}, token_from=page)


def field_error(page: httpx.Response, key: str) -> str:
    """The text of the error shown next to field ``key``."""
    match = re.search(rf'<p class="error" id="error-{re.escape(key)}" role="alert">([^<]*)</p>', page.text)
    assert match, f"no error next to {key} in the page"
    return match.group(1)


# --- who may use it ------------------------------------------------------------------------------

PAGES = ["", "/domains", "/reports", "/relays", "/dead", "/admins", "/groups", "/log"]
POSTS = ["/domains", "/domains/unblock", "/reports/1/resolve", "/relays", "/relays/unsubscribe", "/dead/retry",
         "/dead/1/discard", "/admins", "/admins/1/revoke", "/groups", "/groups/creation", "/groups/suspend",
         "/groups/unsuspend", "/groups/delete"]


async def test_visitors_sign_in_and_non_administrators_get_a_readable_403(web) -> None:
    """Anonymous visitors are sent to sign in; a signed-in member gets a 403 page on every page and every POST."""
    assert (await web.client.get(f"{ADMIN}/groups")).headers["location"].startswith("/login")
    await web.sign_in(await web.person("bob"))
    for path in PAGES:
        page = await web.client.get(f"{ADMIN}{path}")
        assert page.status_code == 403, path
        assert "Only the hub&#39;s administrators may use the administration console." in page.text
    token = await web.csrf("/me")
    for path in POSTS:
        answer = await web.client.post(f"{ADMIN}{path}", data={"csrf_token": token, "domain": "spam.example",
                                                                  "slug": "x", "reason": "r", "name": "bob"})
        assert answer.status_code == 403, path
    assert await log_actions() == [] and not await Peer.filter(blocked=True).exists()


async def test_every_post_needs_the_csrf_token(web) -> None:
    """Without the session's token every form is refused with 403 and nothing changes."""
    await signed_in_admin(web)
    await web.group_with("aid")
    for path in POSTS:
        answer = await web.client.post(f"{ADMIN}{path}", data={"domain": "spam.example", "slug": "aid", "reason": "r",
                                                                "confirm": "aid", "open": "on", "name": "x"})
        assert answer.status_code == 403 and "The form expired" in answer.text, path
    assert await log_actions() == []
    assert (await Group.get(slug="aid")).suspended_at is None


async def test_console_index_links_administrators_to_the_console(web) -> None:
    """The console's first page offers administrators the way in, and the overview counts what waits."""
    await signed_in_admin(web)
    assert f'href="http://127.0.0.1:8123{ADMIN}"' in (await web.client.get("/console")).text
    overview = await web.client.get(ADMIN)
    assert overview.status_code == 200 and "1 administrator" in overview.text


# --- domain blocks --------------------------------------------------------------------------------


async def test_block_and_unblock_a_domain_with_a_reason(web) -> None:
    """A block is listed with its reason and logged; unblocking lifts it and is logged too."""
    admin = await signed_in_admin(web)
    answer = await post(web, f"{ADMIN}/domains", {"domain": "https://Spam.Example./", "reason": "spam waves"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{ADMIN}/domains"
    page = await web.client.get(f"{ADMIN}/domains")
    assert "spam.example" in page.text and "spam waves" in page.text and "spam.example is blocked." in page.text
    assert await moderation.domain_blocks() == [("spam.example", "spam waves")]
    entry = await ModerationAction.get(action="domain_block")
    assert entry.moderator_id == admin.id and entry.reason == "spam waves" and entry.group_id is None
    assert (await post(web, f"{ADMIN}/domains/unblock", {"domain": "spam.example"})).status_code == 303
    assert await moderation.domain_blocks() == []
    assert await log_actions() == ["domain_block", "domain_unblock"]


async def test_a_bad_domain_is_shown_next_to_its_field_and_nothing_is_blocked(web) -> None:
    """Unknown domain syntax: 400, the message next to the field, the value kept, nothing blocked or logged."""
    await signed_in_admin(web)
    page = await post(web, f"{ADMIN}/domains", {"domain": "not a domain!", "reason": "x"})
    assert page.status_code == 400
    assert "is not a domain name" in field_error(page, "domain")
    assert 'aria-invalid="true" aria-describedby="error-domain"' in page.text and 'value="not a domain!"' in page.text
    assert not await Peer.filter(blocked=True).exists() and await log_actions() == []
    unknown = await post(web, f"{ADMIN}/domains/unblock", {"domain": "never.example"})
    assert unknown.status_code == 400 and "is not blocked" in field_error(unknown, "unblock")


# --- reports ---------------------------------------------------------------------------------------


async def test_instance_reports_are_resolved_or_dismissed_and_outgoing_ones_listed(web) -> None:
    """The instance queue shows open reports; resolve and dismiss close them (logged); sent reports are listed."""
    admin = await signed_in_admin(web)
    first = await moderation.receive_report(reporter_uri="https://social.example/actor", group=None,
                                            target_uri="https://bad.example/users/troll", object_uris=[], comment="abuse")
    second = await moderation.receive_report(reporter_uri="https://social.example/actor", group=None,
                                             target_uri="https://bad.example/users/other", object_uris=[], comment="meh")
    await Report.create(group=None, reporter_uri="https://127.0.0.1:8123/actor", target_uri="https://far.example/u/x",
                        object_uris=[], comment="we told them", outgoing=True, state="open")
    page = await web.client.get(f"{ADMIN}/reports")
    assert "https://bad.example/users/troll" in page.text and "we told them" in page.text
    assert (await post(web, f"{ADMIN}/reports/{first.id}/resolve", {"reason": "blocked them"})).status_code == 303
    assert (await post(web, f"{ADMIN}/reports/{second.id}/dismiss")).status_code == 303
    assert [r.state for r in await Report.filter(outgoing=False).order_by("id")] == ["resolved", "dismissed"]
    assert (await Report.get(id=first.id)).resolved_by_id == admin.id
    assert await log_actions() == ["report_resolved", "report_dismissed"]
    again = await post(web, f"{ADMIN}/reports/{first.id}/resolve")
    assert again.status_code == 400 and field_error(again, f"report-{first.id}")
    assert (await post(web, f"{ADMIN}/reports/99999/resolve")).status_code == 404
    assert (await post(web, f"{ADMIN}/reports/{first.id}/delete")).status_code == 404


async def test_a_remote_post_is_reported_to_its_server_from_the_console(web) -> None:
    """The post is fetched, its author named, a Flag queued (event report.forwarded) and the report listed as sent;
    no URL, a URL of this hub, an unreachable post or no reason are refused next to their field."""
    troll = web.remote.person("troll")
    note = "https://social.example/users/troll/statuses/1"
    web.remote.handlers[note] = lambda request: httpx.Response(200, json={
        "@context": "https://www.w3.org/ns/activitystreams", "id": note, "type": "Note", "attributedTo": troll,
        "content": "spam"}, headers={"content-type": "application/activity+json"})
    admin = await signed_in_admin(web)
    sent = await post(web, f"{ADMIN}/reports/send", {"url": note, "reason": "spam wave"})
    assert sent.status_code == 303
    report = await Report.get(outgoing=True)
    assert (report.target_uri, report.object_uris, report.comment) == (troll, [note], "spam wave")
    assert await Event.filter(kind="report.forwarded").exists()
    assert (await ModerationAction.get(action="report_forwarded")).moderator_id == admin.id
    assert "spam wave" in (await web.client.get(f"{ADMIN}/reports")).text
    for data, field, text in (({"url": "not a url", "reason": "x"}, "url", "URL"),
                              ({"url": "http://127.0.0.1:8123/posts/1", "reason": "x"}, "url", "on this hub"),
                              ({"url": "https://social.example/missing", "reason": "x"}, "url", "could not fetch"),
                              ({"url": note, "reason": " "}, "report-reason", "Say what is wrong")):
        refused = await post(web, f"{ADMIN}/reports/send", data)
        assert refused.status_code == 400 and text in field_error(refused, field), data
    assert await Report.filter(outgoing=True).count() == 1


# --- relays ----------------------------------------------------------------------------------------


async def test_subscribe_and_unsubscribe_a_relay(web) -> None:
    """The relay's actor is fetched and a Follow queued (event relay.follow); unsubscribing undoes it; both logged."""
    relay = "https://relay.example/actor"
    web.remote.handlers[relay] = lambda request: httpx.Response(200, json={
        "@context": "https://www.w3.org/ns/activitystreams", "id": relay, "type": "Application",
        "inbox": "https://relay.example/inbox", "preferredUsername": "relay",
        "publicKey": {"id": f"{relay}#main-key", "owner": relay, "publicKeyPem": "x"},
    }, headers={"content-type": "application/activity+json"})
    await signed_in_admin(web)
    assert (await post(web, f"{ADMIN}/relays", {"actor": relay})).status_code == 303
    row = await RelaySubscription.get(actor_uri=relay)
    assert row.state == "pending" and row.inbox == "https://relay.example/inbox"
    assert await Event.filter(kind="relay.follow").exists()
    assert relay in (await web.client.get(f"{ADMIN}/relays")).text
    assert (await post(web, f"{ADMIN}/relays/unsubscribe", {"actor": relay})).status_code == 303
    assert (await RelaySubscription.get(actor_uri=relay)).state == "undone"
    assert await log_actions() == ["relay_follow", "relay_unfollow"]


async def test_a_relay_that_is_no_url_or_cannot_be_fetched_is_refused_next_to_the_field(web) -> None:
    """Not an http(s) URL, or an actor the hub cannot fetch: 400 next to the field, no subscription."""
    await signed_in_admin(web)
    page = await post(web, f"{ADMIN}/relays", {"actor": "relay.example"})
    assert page.status_code == 400 and "actor URL" in field_error(page, "actor")
    missing = await post(web, f"{ADMIN}/relays", {"actor": "https://gone.example/actor"})
    assert missing.status_code == 400 and "could not fetch" in field_error(missing, "actor")
    assert await RelaySubscription.all().count() == 0 and await log_actions() == []


# --- dead letters ----------------------------------------------------------------------------------


async def dead_letter(host: str) -> Delivery:
    """A delivery given up."""
    return await Delivery.create(inbox=f"https://{host}/inbox", host=host, actor_uri="https://127.0.0.1:8123/actor",
                                 activity_uri=f"https://127.0.0.1:8123/activities/{host}", body="{}", next_try_at=now(),
                                 state="dead", tries=8, last_error="HTTP 503")


async def test_dead_letters_are_retried_one_or_all_and_discarded(web) -> None:
    """Retry one queues it again, discard cancels one, retry all queues the rest; each is logged."""
    one, two, three, four = [await dead_letter(f"s{n}.example") for n in range(4)]
    await signed_in_admin(web)
    page = await web.client.get(f"{ADMIN}/dead")
    assert "https://s3.example/inbox" in page.text and "HTTP 503" in page.text
    assert (await post(web, f"{ADMIN}/dead/{one.id}/retry")).status_code == 303
    assert (await post(web, f"{ADMIN}/dead/{two.id}/discard")).status_code == 303
    states = {d.id: (d.state, d.tries) for d in await Delivery.all()}
    assert states[one.id] == ("queued", 0) and states[two.id][0] == "cancelled" and states[three.id][0] == "dead"
    assert (await post(web, f"{ADMIN}/dead/retry")).status_code == 303
    assert {d.state for d in await Delivery.filter(id__in=[three.id, four.id])} == {"queued"}
    assert await log_actions() == ["dead_letters_retried", "dead_letter_discarded", "dead_letters_retried"]
    gone = await post(web, f"{ADMIN}/dead/{two.id}/retry")
    assert gone.status_code == 400 and "no dead letter" in gone.text
    assert (await Delivery.get(id=two.id)).state == "cancelled"


async def test_a_suspended_groups_dead_letters_stay_dead(web) -> None:
    """Retrying a letter a suspended group signed is refused (400, still dead); retry all skips it and says how many;
    the suspension's own announcement, queued after the suspension, is retried."""
    # Given a suspended group with a letter it signed before the suspension and its suspension's Update, both dead
    await web.group_with("aid")
    actor = f"{HUB_BASE}/groups/aid"
    before = await dead_letter("s1.example")
    await Delivery.filter(id=before.id).update(actor_uri=actor, created_at=now() - timedelta(hours=1))
    await Group.filter(slug="aid").update(suspended_at=now() - timedelta(minutes=1))
    announcement, other = await dead_letter("s2.example"), await dead_letter("s3.example")
    await Delivery.filter(id=announcement.id).update(actor_uri=actor)
    await signed_in_admin(web)
    # When the administrator retries the held letter: refused, with what to do instead
    refused = await post(web, f"{ADMIN}/dead/{before.id}/retry")
    assert refused.status_code == 400
    message = html.unescape(field_error(refused, f"dead-{before.id}"))
    assert "signed by" in message and "which is suspended" in message and "lift the suspension" in message
    assert (await Delivery.get(id=before.id)).state == "dead"
    # When all are retried: the others go, the held one stays, and the notice says one was skipped
    done = await post(web, f"{ADMIN}/dead/retry")
    assert done.status_code == 303
    states = {d.id: d.state for d in await Delivery.all()}
    assert states == {before.id: "dead", announcement.id: "queued", other.id: "queued"}
    notice = html.unescape((await web.client.get(done.headers["location"])).text)
    assert "2 dead letters were queued again." in notice and "1 was skipped: a suspended group signed it" in notice
    # And once the suspension is lifted, it may be retried
    await Group.filter(slug="aid").update(suspended_at=None)
    assert (await post(web, f"{ADMIN}/dead/{before.id}/retry")).status_code == 303
    assert (await Delivery.get(id=before.id)).state == "queued"


# --- administrators --------------------------------------------------------------------------------


async def test_grant_and_revoke_administrators_but_never_the_last(web) -> None:
    """A known account is appointed and dismissed (logged); the last administrator cannot be dismissed."""
    admin = await signed_in_admin(web)
    alice = await web.person("alice")
    await accounts.create_admin("second", "another long password")
    assert (await post(web, f"{ADMIN}/admins", {"name": "@alice@social.example"})).status_code == 303
    assert (await Account.get(id=alice.id)).is_admin
    page = await web.client.get(f"{ADMIN}/admins")
    assert "alice@social.example" in page.text and "second" in page.text
    for other in (alice, await Account.get(username="second")):
        assert (await post(web, f"{ADMIN}/admins/{other.id}/revoke")).status_code == 303
    assert [a.id for a in await Account.filter(is_admin=True)] == [admin.id]
    last = await post(web, f"{ADMIN}/admins/{admin.id}/revoke")
    assert last.status_code == 400 and "last administrator" in field_error(last, f"admin-{admin.id}")
    assert (await Account.get(id=admin.id)).is_admin
    assert await log_actions() == ["admin_granted", "admin_revoked", "admin_revoked"]
    # An administrator who steps down lands on the console, no longer on the administrators' pages
    await accounts.create_admin("third", "another long password")
    stepped_down = await post(web, f"{ADMIN}/admins/{admin.id}/revoke")
    assert stepped_down.status_code == 303 and stepped_down.headers["location"] == "/console"
    assert (await web.client.get(f"{ADMIN}/admins")).status_code == 403


async def test_an_unknown_or_existing_administrator_is_refused_next_to_the_field(web) -> None:
    """Nobody known by that name, or already an administrator: 400 next to the field, nothing logged."""
    await signed_in_admin(web)
    unknown = await post(web, f"{ADMIN}/admins", {"name": "@nobody@nowhere.example"})
    assert unknown.status_code == 400 and "is known to this hub" in field_error(unknown, "name")
    already = await post(web, f"{ADMIN}/admins", {"name": "admin"})
    assert already.status_code == 400 and "already an administrator" in field_error(already, "name")
    assert await log_actions() == []


# --- groups ----------------------------------------------------------------------------------------


async def test_create_a_group_owned_by_the_administrator_or_someone_named(web) -> None:
    """The group is created with its owner and logged; a bad handle or unknown owner is refused next to its field."""
    admin = await signed_in_admin(web)
    alice = await web.person("alice")
    assert (await post(web, f"{ADMIN}/groups", {"slug": "aid", "name": "Mutual Aid"})).status_code == 303
    assert (await post(web, f"{ADMIN}/groups", {"slug": "tenants", "name": "Tenants", "owner": "@alice@social.example",
                                                "closed": "on"})).status_code == 303
    aid, tenants = await Group.get(slug="aid"), await Group.get(slug="tenants")
    assert await aid.memberships.filter(account_id=admin.id, role="owner").exists()
    assert await tenants.memberships.filter(account_id=alice.id, role="owner").exists() and tenants.join_policy == "approval"
    bad = await post(web, f"{ADMIN}/groups", {"slug": "Not OK!", "name": "X"})
    assert bad.status_code == 400 and "is not valid" in field_error(bad, "slug")
    taken = await post(web, f"{ADMIN}/groups", {"slug": "aid", "name": "Again"})
    assert taken.status_code == 400 and "already exists" in field_error(taken, "slug")
    nobody = await post(web, f"{ADMIN}/groups", {"slug": "ok", "name": "OK", "owner": "ghost"})
    assert nobody.status_code == 400 and field_error(nobody, "owner") and 'value="ok"' in nobody.text
    unnamed = await post(web, f"{ADMIN}/groups", {"slug": "ok", "name": " "})
    assert unnamed.status_code == 400 and "give the group a name" in field_error(unnamed, "name")
    assert await Group.all().count() == 2 and await log_actions() == ["group_created", "group_created"]


async def test_suspend_and_unsuspend_a_group(web) -> None:
    """Suspension: 410 pages saying why, hidden from the directory, logged; lifting it brings the group back."""
    await signed_in_admin(web)
    await web.group_with("aid", name="Mutual Aid")
    assert (await post(web, f"{ADMIN}/groups/suspend", {"slug": "aid", "reason": "spam network"})).status_code == 303
    group = await Group.get(slug="aid")
    assert group.suspended_at is not None and group.suspension_reason == "spam network"
    page = await web.client.get("/groups/aid")
    assert page.status_code == 410 and "suspended by the hub&#39;s administrators" in page.text and "spam network" in page.text
    assert (await web.client.get("/groups/aid", headers={"Accept": "application/activity+json"})).status_code == 410
    assert (await web.client.get("/groups/aid/followers")).status_code == 410
    assert "Mutual Aid" not in (await web.client.get("/")).text
    listed = await web.client.get(f"{ADMIN}/groups")
    assert "Lift the suspension" in listed.text and "spam network" in listed.text
    assert (await post(web, f"{ADMIN}/groups/unsuspend", {"slug": "aid"})).status_code == 303
    assert (await web.client.get("/groups/aid")).status_code == 200
    assert await log_actions() == ["group_suspended", "group_unsuspended"]
    log = await web.client.get(f"{ADMIN}/log")
    assert "group suspended" in log.text and "suspension lifted" in log.text and "spam network" in log.text


async def test_suspension_refusals_change_nothing(web) -> None:
    """An unknown group, no reason, or a group already suspended: 400 with the message, nothing changed."""
    await signed_in_admin(web)
    await web.group_with("aid")
    unknown = await post(web, f"{ADMIN}/groups/suspend", {"slug": "nope", "reason": "x"})
    assert unknown.status_code == 400 and "no group" in field_error(unknown, "suspend")
    no_reason = await post(web, f"{ADMIN}/groups/suspend", {"slug": "aid", "reason": " "})
    assert no_reason.status_code == 400 and "say why" in field_error(no_reason, "suspend-aid")
    assert (await Group.get(slug="aid")).suspended_at is None
    not_suspended = await post(web, f"{ADMIN}/groups/unsuspend", {"slug": "aid"})
    assert not_suspended.status_code == 400 and "is not suspended" in not_suspended.text
    assert await log_actions() == []


async def test_delete_a_group_with_its_handle_confirmed(web) -> None:
    """Deletion needs the handle typed again; then the group's pages answer 410 and the deletion is logged."""
    await signed_in_admin(web)
    await web.group_with("aid")
    wrong = await post(web, f"{ADMIN}/groups/delete", {"slug": "aid", "confirm": "aide"})
    assert wrong.status_code == 400 and "Type the group" in field_error(wrong, "confirm")
    unknown = await post(web, f"{ADMIN}/groups/delete", {"slug": "nope", "confirm": "nope"})
    assert unknown.status_code == 400 and "no group" in field_error(unknown, "delete-slug")
    assert (await Group.get(slug="aid")).deleted_at is None and await log_actions() == []
    assert (await post(web, f"{ADMIN}/groups/delete", {"slug": "aid", "confirm": "aid"})).status_code == 303
    assert (await Group.get(slug="aid")).deleted_at is not None
    assert (await web.client.get("/groups/aid")).status_code == 410
    assert await Event.filter(kind="group.deleted").exists()
    assert await log_actions() == ["group_deleted"]
    assert "aid" not in (await web.client.get(f"{ADMIN}/groups")).text.split("Every group")[1].split("Delete a group")[0]


async def test_open_creation_of_groups_is_switched_in_the_console(web) -> None:
    """Off by default (HUB_OPEN_GROUP_CREATION unset): members cannot create groups; switched on, they can; logged."""
    await signed_in_admin(web)
    bad = await post(web, f"{ADMIN}/groups/creation", {"open": "maybe"})
    assert bad.status_code == 400 and field_error(bad, "open") and not await InstanceSetting.exists()
    assert (await post(web, f"{ADMIN}/groups/creation", {"open": "on"})).status_code == 303
    assert (await InstanceSetting.get(name="open_group_creation")).value == "true"
    member = await web.person("bob")
    await web.sign_in(member)
    created = await web.post_form("/console/groups", {"slug": "bobs", "name": "Bob's group"}, token_from="/console")
    assert created.status_code == 303 and await Group.filter(slug="bobs").exists()
    await web.sign_in(await Account.get(username="admin"))
    assert (await post(web, f"{ADMIN}/groups/creation", {"open": "off"})).status_code == 303
    await web.sign_in(member)
    refused = await web.post_form("/console/groups", {"slug": "more", "name": "More"}, token_from="/console")
    assert refused.status_code == 403 and not await Group.filter(slug="more").exists()
    assert await log_actions() == ["group_creation_opened", "group_creation_closed"]


@pytest.mark.parametrize("language", ["es", "ar"])
async def test_the_console_is_translated(web, language: str) -> None:
    """The console's pages come in the visitor's language."""
    await signed_in_admin(web)
    page = await web.client.get(f"{ADMIN}/groups", headers={"Accept-Language": language})
    assert page.status_code == 200 and f'lang="{language}"' in page.text
    assert "Who may create groups" not in page.text
