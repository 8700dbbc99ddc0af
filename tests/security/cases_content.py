"""Hostile cases about origins, NUL characters and wrong JSON types (registered into CASES)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from federation.vocab import MAX_MENTIONS
from tests.federation.harness import as_response
from tests.security.hostile import (
    BOB_POST,
    SLUG,
    Scene,
)
from tests.security.catalogue import CASES, Case, Sent, case, create_sent, ignored


# --- origins -----------------------------------------------------------------------------------


@case(400, reason="activity id is not on the actor's host")
async def activity_id_on_another_host(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice), id="https://evil.test/activities/1")
    return await s.post(activity, s.alice), activity


@case(400, reason="activity id is not on the actor's host")
async def activity_id_on_this_hub(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice), id="http://hub.test/groups/climate/activities/announce/1")
    return await s.post(activity, s.alice), activity


@case(400, reason="embedded object's id is not on the actor's host")
async def object_id_on_another_host(s: Scene) -> Sent:
    return await create_sent(s, id="https://evil.test/statuses/1")


@case(400, reason="attributed to someone else")
async def embedded_object_attributed_to_someone_else(s: Scene) -> Sent:
    return await create_sent(s, attributedTo=s.bob.id)


@case(400, reason="attributed to someone else")
async def update_of_bobs_post_embedded_by_mallory(s: Scene) -> Sent:
    note = s.note(s.bob, id=BOB_POST, content="<p>defaced</p>")
    activity = s.activity(s.mallory, "Update", note)
    return await s.post(activity, s.mallory), activity


@case(400, reason="embedded object's id")
async def embedded_object_id_longer_than_1024(s: Scene) -> Sent:
    return await create_sent(s, id=f"{s.alice.id}/statuses/{'9' * 1100}")


@case(400, reason="not on the actor's host")
async def update_of_the_group_by_a_member(s: Scene) -> Sent:
    group = {"id": s.group_id, "type": "Group", "name": "Defaced", "summary": "pwned", "inbox": f"{s.group_id}/inbox"}
    activity = s.activity(s.alice, "Update", group)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not on the actor's host"))
async def update_of_the_group_by_reference(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Update", s.group_id)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not on the actor's host"))
async def create_referencing_an_object_on_another_host(s: Scene) -> Sent:
    evil = s.note(s.alice, id="https://evil.test/statuses/9", attributedTo=s.alice.id)
    s.hub.world.serve(evil)
    activity = s.create(s.alice, evil["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("claims the id"))
async def fetched_object_claims_an_id_on_another_host(s: Scene) -> Sent:
    url = s.next_id(s.alice, "statuses")
    s.hub.world.serve(s.note(s.alice, id="https://evil.test/statuses/1"), url=url)
    activity = s.create(s.alice, url)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not an ActivityStreams document"))
async def fetched_object_served_as_html(s: Scene) -> Sent:
    note = s.note(s.alice)
    s.hub.world.respond(note["id"], as_response(note, content_type="text/html"))
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("redirected to another host"))
async def fetched_object_redirects_to_another_host(s: Scene) -> Sent:
    note = s.note(s.alice)
    s.hub.world.respond(note["id"], httpx.Response(301, headers={"Location": "https://evil.test/statuses/1"}))
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("HTTP 404"))
async def fetched_object_is_missing(s: Scene) -> Sent:
    activity = s.create(s.alice, s.next_id(s.alice, "statuses"))
    s.hub.world.respond(activity["object"], 404)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("attributed to someone else"))
async def fetched_object_attributed_to_someone_else(s: Scene) -> Sent:
    note = s.note(s.alice, attributedTo=s.bob.id)
    s.hub.world.serve(note)
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("no id"))
async def embedded_object_without_an_id(s: Scene) -> Sent:
    return await create_sent(s, id=None)


@case(202, **ignored("Delete of an object on another host"))
async def delete_of_an_object_on_another_host(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Delete", "https://evil.test/statuses/1")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("Delete of an object on another host"))
async def delete_of_a_local_group(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Delete", s.group_id)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("only the author may delete"))
async def delete_of_bobs_post_by_mallory(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Delete", BOB_POST)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("only the author may edit"))
async def update_claiming_bobs_post_id(s: Scene) -> Sent:
    note = s.note(s.mallory, id=BOB_POST, content="<p>defaced</p>")
    activity = s.activity(s.mallory, "Update", note)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("Undo of someone else's Follow"))
async def undo_of_bobs_follow_by_mallory(s: Scene) -> Sent:
    follow = {"id": f"{s.bob.id}#follows/{SLUG}", "type": "Follow", "actor": s.bob.id, "object": s.group_id}
    activity = s.activity(s.mallory, "Undo", follow)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("no membership to end"))
async def undo_of_bobs_follow_by_reference(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Undo", f"{s.bob.id}#follows/{SLUG}")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("mentions"))
async def thousands_of_mentions(s: Scene) -> Sent:
    tags = [{"type": "Mention", "href": s.group_id}] + [
        {"type": "Mention", "href": f"https://remote.test/users/u{n}", "name": f"@u{n}@remote.test"} for n in range(3000)
    ]
    return await create_sent(s, tag=tags)


@case(202, **ignored("mentions"))
async def mentions_just_over_the_cap(s: Scene) -> Sent:
    tags = [{"type": "Mention", "href": s.group_id}] + [
        {"type": "Mention", "href": f"https://other{n}.test/users/u"} for n in range(MAX_MENTIONS)
    ]
    return await create_sent(s, tag=tags)


@case(202, **ignored("not addressed to a local group"))
async def mention_of_a_group_that_does_not_exist(s: Scene) -> Sent:
    nosuch = "http://hub.test/groups/nosuch"
    activity = s.create(s.alice, s.note(s.alice, cc=[nosuch], tag=[{"type": "Mention", "href": nosuch}]), cc=[nosuch])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("Follow of something that is not a local group"))
async def follow_of_the_instance_actor(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Follow", "http://hub.test/actor")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("inReplyTo"))
async def in_reply_to_longer_than_1024(s: Scene) -> Sent:
    return await create_sent(s, inReplyTo=f"https://remote.test/statuses/{'1' * 1100}")


# --- NUL characters (PostgreSQL refuses them in text; SQLite does not care) -------------------------------


@case(202, **ignored("likes are not counted"))
async def nul_in_the_actors_username_and_name(s: Scene) -> Sent:
    ghost = s.fresh("ghost", preferredUsername="gh\u0000ost", name="Gh\u0000ost")
    activity = s.activity(ghost, "Like", BOB_POST)
    return await s.post(activity, ghost), activity


@case(202, **ignored("is not handled"))
async def nul_in_the_activity_type(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Ann\u0000ounce", BOB_POST)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("inReplyTo"))
async def nul_in_in_reply_to(s: Scene) -> Sent:
    return await create_sent(s, inReplyTo="https://remote.test/statuses/\u00001")


@case(400, reason="embedded object's id")
async def nul_in_the_object_id(s: Scene) -> Sent:
    return await create_sent(s, id="https://remote.test/users/alice/statuses/\u00009")


@case(202, **ignored("Delete names no http(s) id"))
async def nul_in_a_deleted_id(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Delete", "https://remote.test/users/alice/statuses/\u00009")
    return await s.post(activity, s.alice), activity


# --- wrong JSON types in every field ---------------------------------------------------------------

ACTIVITY_FIELDS = {
    "id": (42, ["https://remote.test/users/alice/activities/x"], {"id": "x"}, None),
    "type": (42, [7], {"type": "Create"}, None),
    "actor": (42, ["https://remote.test/users/alice"], True, None),
    "object": (42, True, 4.5),
}
OBJECT_FIELDS = {
    "to": (42, True),
    "cc": (42, 4.5),
    "tag": (42, True),
    "content": (42, ["<p>a</p>"], {"html": "x"}),
    "name": (42, ["title"]),
    "summary": (42, {"x": 1}),
    "contentMap": (42, "<p>a</p>", ["en"], {"en": 42}),
    "published": (42, ["2025-01-01T00:00:00Z"]),
    "inReplyTo": (42, True),
    "attachment": (42, True),
    "url": (42, True),
}


def _wrong_activity_field(name: str, value: object) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        activity = s.create(s.alice, s.note(s.alice))
        if value is None:
            activity.pop(name)
        else:
            activity[name] = value
        return await s.post(activity, s.alice), None

    return send


def _wrong_object_field(name: str, value: object) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        note = s.note(s.alice)
        note[name] = value
        if name == "contentMap":
            note.pop("content")
        activity = s.create(s.alice, note)
        return await s.post(activity, s.alice), activity

    return send


def _wrong_activity_addressing(name: str) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        activity = s.create(s.alice, s.note(s.alice, to=None, cc=None), **{name: 42})
        return await s.post(activity, s.alice), activity

    return send


for _field, _values in ACTIVITY_FIELDS.items():
    for _value in _values:
        _label = "missing" if _value is None else type(_value).__name__
        CASES[f"wrong_type_activity_{_field}_{_label}"] = Case(_wrong_activity_field(_field, _value), 400)
for _field, _values in OBJECT_FIELDS.items():
    for _value in _values:
        _label = type(_value).__name__ + ("_of_int" if isinstance(_value, dict) and 42 in _value.values() else "")
        CASES[f"wrong_type_object_{_field}_{_label}"] = Case(_wrong_object_field(_field, _value), 202, **ignored(_field))
for _field in ("to", "cc"):
    CASES[f"wrong_type_activity_{_field}_int"] = Case(_wrong_activity_addressing(_field), 202, **ignored(_field))
