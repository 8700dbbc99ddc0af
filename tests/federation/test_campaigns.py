"""Campaigns on the wire, in-process: calls answered by vote and reply, the board, alerts, relays, images.

The real app runs over ASGI with the fediverse mocked (tests/federation/harness.py); remote
actors are on remote.test (Mastodon NodeInfo).
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from hub.models import Alert, AlertSubscription, BoardItem, CallToAction, CampaignPost, RelaySubscription, Signup
from hub.services import alerts, board, calls, campaigns, media, relays
from tests.federation.harness import PUBLIC, running_hub

pytestmark = pytest.mark.db


def create(actor, note: dict, *, to: list[str], cc: list[str] = ()) -> dict:
    """A Mastodon-shaped Create of ``note`` by ``actor``."""
    note = {"type": "Note", "attributedTo": actor.id, "to": to, "cc": list(cc), "published": "2026-11-26T10:00:00Z", **note}
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity", "type": "Create",
            "actor": actor.id, "to": to, "cc": list(cc), "object": note}


def delivered(hub, kind: str, inbox_part: str = "") -> list[dict]:
    """Activities of one type the hub delivered (to inboxes containing ``inbox_part``)."""
    return [body for url, body in hub.world.deliveries if body.get("type") == kind and inbox_part in url]


async def test_call_answered_by_poll_vote_and_reply(database_url, tmp_path) -> None:
    """A call goes to members as a Question; a vote and a keyword reply sign up; a non-member is listed apart."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a group with two members on remote.test and a call for 3 people
        group = await hub.group("climate")
        alice, bob = hub.world.person("alice"), hub.world.person("bob")
        carol = hub.world.person("carol", "other.test")
        await hub.member(alice)
        await hub.member(bob)
        campaign = await campaigns.create_campaign(group, "heat", "Heat Action", hashtags=["heatwave"])
        call = await calls.create_call(group, what="Staff the water station", where="Main square", when="2026-12-05T10:00",
                                       needed=3, campaign=campaign)
        await hub.drain()
        # Then the members' server got a Create of the group's Question with the option "I'm in"
        [question_create] = [a for a in delivered(hub, "Create", "remote.test") if a["object"]["type"] == "Question"]
        question = question_create["object"]
        assert question["id"] == f"{hub.group_id()}/objects/call/{call.id}"
        assert question["attributedTo"] == hub.group_id() and PUBLIC in question["cc"]
        assert question["oneOf"][0]["name"] == "I'm in"
        assert "Staff the water station" in question["content"] and "/calls/" in question["content"]
        assert {"type": "Hashtag", "href": f"{hub.group_id()}/campaigns/heat", "name": "#heatwave"} in question["tag"]
        # And the Question is served at its id as ActivityStreams (HTML browsers get the call page)
        served = await hub.get(f"/groups/climate/objects/call/{call.id}", accept="application/activity+json")
        assert served.status_code == 200 and served.json()["type"] == "Question"
        assert (await hub.get(f"/groups/climate/objects/call/{call.id}")).headers["location"].endswith(f"/calls/{call.id}")

        # When alice votes (Mastodon: a Note named like the option, in reply to the Question, to the group only)
        vote = create(alice, {"id": f"{alice.id}#votes/1", "name": "I'm in", "inReplyTo": question["id"]}, to=[hub.group_id()])
        assert (await hub.signed_post("/inbox", vote, alice)).status_code == 202
        # And bob replies "count me in" publicly, mentioning the group, and carol (not a member) replies "me apunto"
        reply = create(bob, {"id": f"{bob.id}/statuses/2", "inReplyTo": question["id"],
                             "content": '<p><span class="h-card"><a href="x">@climate</a></span> count me in!</p>',
                             "tag": [{"type": "Mention", "href": hub.group_id(), "name": "@climate@hub.test"}]},
                       to=[PUBLIC], cc=[hub.group_id()])
        assert (await hub.signed_post("/inbox", reply, bob)).status_code == 202
        carol_reply = create(carol, {"id": f"{carol.id}/statuses/3", "inReplyTo": question["id"], "content": "<p>Me apunto</p>"},
                             to=[PUBLIC])
        assert (await hub.signed_post("/inbox", carol_reply, carol)).status_code == 202
        await hub.drain()

        # Then both members count, carol is apart, and the reply did not become a group post
        status = await calls.status(await CallToAction.get(id=call.id))
        assert sorted((s.account.uri, s.via) for s in status.members) == [(alice.id, "vote"), (bob.id, "reply")]
        assert [s.account.uri for s in status.others] == [carol.id]
        assert (await hub.counts()).posts == 0
        # And each got a direct message confirming it, with the call's page
        confirmations = [a for a in delivered(hub, "Create") if a["object"]["to"] in ([alice.id], [bob.id])]
        assert len(confirmations) == 2 and "2 of 3 people signed up" in confirmations[-1]["object"]["content"]
        # And carol, who wrote "Me apunto" without saying her language, hears the group's (English) framing
        [to_carol] = [a["object"] for a in delivered(hub, "Create") if a["object"]["to"] == [carol.id]]
        assert "listed apart" in to_carol["content"] and to_carol["contentMap"] == {"en": to_carol["content"]}
        # And the page shows how many signed up (never who: votes are private) and how many are still needed
        page = (await hub.get(f"/groups/climate/calls/{call.id}")).text
        assert "2 members signed up" in page and "1 still needed" in page and "not a member also answered" in page
        assert "Test alice" not in page and "Test carol" not in page
        served = (await hub.get(f"/groups/climate/objects/call/{call.id}", accept="application/activity+json")).json()
        assert served["votersCount"] == 2

        # When the organisers close the call, members' servers get an Update of the closed Question
        await calls.close_call(await CallToAction.get(id=call.id))
        await hub.drain()
        [update] = delivered(hub, "Update", "remote.test")
        assert update["object"]["closed"] and update["object"]["id"] == question["id"]
        # And a late vote changes nothing
        late = create(hub.world.person("dave"), {"id": "https://remote.test/users/dave#votes/9", "name": "I'm in",
                                                 "inReplyTo": question["id"]}, to=[hub.group_id()])
        await hub.member(hub.world.person("dave"))
        await hub.signed_post("/inbox", late, hub.world.person("dave"))
        await hub.drain()
        assert await Signup.filter(call_id=call.id).count() == 3


async def test_member_posts_feed_the_campaign_and_the_board(database_url, tmp_path) -> None:
    """Members' group posts: a hashtag gathers one (with its image's alt text); need/offer lines make a matched board."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        alice, bob = hub.world.person("alice"), hub.world.person("bob")
        await hub.member(alice, "aid")
        await hub.member(bob, "aid")
        campaign = await campaigns.create_campaign(group, "flood", "Flood relief", hashtags=["flood2026"])
        mention = [{"type": "Mention", "href": hub.group_id("aid"), "name": "@aid@hub.test"}]
        post = create(alice, {
            "id": f"{alice.id}/statuses/1", "content": "<p>@aid Sandbags at the bridge <a href='t' class='hashtag'>#Flood2026</a></p>",
            "tag": mention + [{"type": "Hashtag", "name": "#Flood2026", "href": "https://remote.test/tags/flood2026"}],
            "attachment": [{"type": "Document", "mediaType": "image/jpeg", "url": "https://remote.test/media/1.jpg",
                            "name": "Sandbags stacked by the river"},
                           {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)", "name": "bad"}],
        }, to=[PUBLIC], cc=[hub.group_id("aid")])
        need = create(alice, {"id": f"{alice.id}/statuses/2", "tag": mention,
                              "content": "<p>@aid</p><p>need: drinking water, north district</p>"}, to=[PUBLIC], cc=[hub.group_id("aid")])
        offer = create(bob, {"id": f"{bob.id}/statuses/3", "tag": mention,
                             "content": "<p>@aid offer: 40 litres of drinking water for the north district</p>"},
                       to=[PUBLIC], cc=[hub.group_id("aid")])
        private = create(bob, {"id": f"{bob.id}/statuses/4", "tag": mention,
                               "content": "<p>@aid need: insulin for my neighbour at Elm street 4</p>"},
                         to=[f"{bob.id}/followers"], cc=[hub.group_id("aid")])
        for activity, actor in ((post, alice), (need, alice), (offer, bob), (private, bob)):
            assert (await hub.signed_post("/inbox", activity, actor)).status_code == 202
        await hub.drain()

        [entry] = await campaigns.gathered(campaign)
        assert entry.attachments == [{"url": "https://remote.test/media/1.jpg", "media_type": "image/jpeg",
                                      "alt": "Sandbags stacked by the river"}]
        page = (await hub.get("/groups/aid/campaigns/flood")).text
        assert "Sandbags at the bridge" in page and 'alt="Sandbags stacked by the river"' in page
        assert "javascript:" not in page
        [match] = await board.suggest_matches(group)
        assert match.need.text == "drinking water, north district" and "water" in match.shared
        assert match.need.campaign_id == campaign.id  # the group's running campaign
        board_page = (await hub.get("/groups/aid/board")).text
        assert "drinking water, north district" in board_page and "40 litres" in board_page
        assert "insulin" not in board_page  # a followers-only post never reaches the public board
        await board.mark_met(match.need, matched_with=match.offer)
        impact = await campaigns.impact(campaign)
        assert (impact.needs_met, impact.posts_gathered) == (1, 1)
        feed = (await hub.get("/groups/aid/campaigns/flood/feed.atom")).text
        assert "Sandbags at the bridge" in feed
        chart = await hub.get("/groups/aid/campaigns/flood/impact.svg")
        assert chart.headers["content-type"].startswith("image/svg+xml") and ">1</text>" in chart.text


async def test_alerts_after_opting_in_by_reply(database_url, tmp_path) -> None:
    """"alerts on" (a direct message to the group) opts in; the alert is pinned, public, and a DM to the opted-in only."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        alice, bob = hub.world.person("alice"), hub.world.person("bob", "other.test")
        await hub.member(alice, "aid")
        await hub.member(bob, "aid")
        optin = create(alice, {"id": f"{alice.id}/statuses/5", "content": "<p>@aid alerts on</p>",
                               "tag": [{"type": "Mention", "href": hub.group_id("aid"), "name": "@aid@hub.test"}]},
                       to=[hub.group_id("aid")])
        await hub.signed_post("/inbox", optin, alice)
        await hub.drain()
        assert await AlertSubscription.filter(account__uri=alice.id).exists()
        assert (await hub.counts()).posts == 0
        confirmations = [a for a in delivered(hub, "Create") if a["object"]["to"] == [alice.id]]
        assert "Alerts on" in confirmations[0]["object"]["content"]
        image = io.BytesIO()
        Image.new("RGB", (2400, 1200), "navy").save(image, "PNG")
        picture = await media.store_image(hub.settings.data_dir, image.getvalue(), "Map of the evacuation route")
        alert = await alerts.send_alert(group, "Flood warning: leave the river district now", image=picture)
        await hub.drain()
        dms = [a for a in delivered(hub, "Create") if a["object"]["to"] == [alice.id] and "Flood warning" in a["object"]["content"]]
        assert len(dms) == 1 and dms[0]["actor"] == hub.group_id("aid")
        assert not [a for a in delivered(hub, "Create") if a["object"]["to"] == [bob.id]]
        public = [a for a in delivered(hub, "Create") if a["object"]["id"] == f"{hub.group_id('aid')}/objects/alert/{alert.id}"]
        assert {a["object"]["attachment"][0]["name"] for a in public} == {"Map of the evacuation route"}
        attachment = public[0]["object"]["attachment"][0]
        assert attachment["mediaType"] == "image/png" and attachment["width"] == 1600
        served = await hub.get(attachment["url"].removeprefix("http://hub.test"))
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert "Flood warning" in (await hub.get("/groups/aid/board")).text
        assert "Flood warning" in (await hub.get("/groups/aid")).text  # pinned on the group's page too
        # "alerts off" in a reply to the alert opts out
        off = create(alice, {"id": f"{alice.id}/statuses/6", "content": "<p>alerts off</p>",
                             "inReplyTo": public[0]["object"]["id"]}, to=[hub.group_id("aid")])
        await hub.signed_post("/inbox", off, alice)
        await hub.drain()
        assert not await AlertSubscription.filter(account__uri=alice.id).exists()
        assert await Alert.filter(id=alert.id, object_uri__isnull=False).exists()


async def test_relay_subscription_and_moderated_hashtag_posts(database_url, tmp_path) -> None:
    """The instance actor follows a relay (Follow of Public); relayed hashtag posts are fetched and wait for approval."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
        relay = hub.world.actor("https://relay.test/actor", actor_type="Application")
        row = await relays.follow(relay.id, inbox=relay.inbox, follow_uri=f"{hub.fed.urls.instance_actor}/follows/1")
        await hub.drain()
        [follow] = [body for url, body in hub.world.deliveries if url == relay.inbox]
        assert follow["type"] == "Follow" and follow["object"] == PUBLIC and follow["actor"] == "http://hub.test/actor"
        # An Announce before the relay accepted is not a relay post (no local group relays it either)
        stranger = hub.world.person("stranger", "far.test")
        note = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{stranger.id}/statuses/1", "type": "Note",
                "attributedTo": stranger.id, "to": [PUBLIC], "cc": [], "content": "<p>Cooling centres open #HeatWave</p>",
                "published": "2026-11-26T09:00:00Z"}
        hub.world.serve(note)
        accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://relay.test/activities/accept/1",
                  "type": "Accept", "actor": relay.id, "object": follow}
        await hub.signed_post("/actor/inbox", accept, relay)
        await hub.drain()
        assert (await RelaySubscription.get(id=row.id)).state == "accepted"
        announce = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://relay.test/activities/1",
                    "type": "Announce", "actor": relay.id, "object": note["id"], "to": [f"{relay.id}/followers"]}
        other = dict(note, id=f"{stranger.id}/statuses/2", content="<p>Nothing to see</p>")
        hub.world.serve(other)
        forged = {**announce, "id": "https://relay.test/activities/2",
                  "object": {**note, "id": f"{stranger.id}/statuses/3", "content": "<p>forged #heatwave</p>"}}
        for activity in (announce, {**announce, "id": "https://relay.test/activities/3", "object": other["id"]}, forged):
            assert (await hub.signed_post("/actor/inbox", activity, relay)).status_code == 202
        await hub.drain()
        # Then only the post fetched from its origin with the hashtag waits for the organisers
        [entry] = await CampaignPost.filter(campaign=campaign)
        assert (entry.uri, entry.state, entry.source) == (note["id"], "pending", "relay")
        assert "Cooling centres" not in (await hub.get("/groups/climate/campaigns/heat")).text
        await campaigns.moderate_gathered(entry, "approve")
        assert "Cooling centres open" in (await hub.get("/groups/climate/campaigns/heat")).text
        item = await hub.inbox_item("https://relay.test/activities/3")
        assert item.state == "ignored" and "hashtag" in item.last_error


async def test_campaign_note_and_pages_for_phones(database_url, tmp_path) -> None:
    """A new campaign is announced as the group's Note; the page shows goal, fundraising and impact, escaped."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        await hub.member(hub.world.person("alice"))
        campaign = await campaigns.create_campaign(
            group, "heat", "Heat <script>", hashtags=["heatwave"], goal="Cool roofs & shade", donation_url="https://give.test/heat",
            target=5000, unit="EUR",
        )
        await campaigns.set_fundraising(campaign, 1250)
        await hub.drain()
        [note] = [a["object"] for a in delivered(hub, "Create", "remote.test")]
        assert note["id"].endswith(f"/objects/campaign/{campaign.id}") and "#heatwave" in note["content"]
        assert "<script>" not in note["content"]
        page = (await hub.get("/groups/climate/campaigns/heat")).text
        assert "Heat &lt;script&gt;" in page and "1250 of 5000 EUR raised" in page and 'href="https://give.test/heat"' in page
        listing = (await hub.get("/groups/climate/campaigns")).text
        assert "Heat &lt;script&gt;" in listing
        assert json.loads(json.dumps(note))["url"].endswith("/campaigns/heat")
        assert await BoardItem.all().count() == 0


async def test_confirmations_follow_the_persons_language_and_zone(database_url, tmp_path) -> None:
    """A member who chose Arabic and Nairobi's zone gets the confirmation in Arabic, the time in East Africa Time."""
    from hub.models import Account
    from hub.services import accounts

    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        amina = hub.world.person("amina")
        await hub.member(amina)
        account = await Account.get(uri=amina.id)
        await accounts.set_preferences(account, language="ar", time_zone="Africa/Nairobi")
        call = await calls.create_call(group, what="Water station", when="2026-12-05T09:00", time_zone="Europe/Lisbon",
                                       needed=11)
        await hub.drain()
        await calls.sign_up(call, account, via="web")
        await hub.drain()
        [message] = [a["object"] for a in delivered(hub, "Create") if a["object"]["to"] == [amina.id]]
        assert "أنت مشارك: Water station. سجّل 1 من أصل 11 شخصًا مطلوبًا." in message["content"]
        assert "توقيت شرق أفريقيا" in message["content"] and list(message["contentMap"]) == ["ar"]
