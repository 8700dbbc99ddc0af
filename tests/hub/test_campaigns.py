"""Tests for hub.services.campaigns: creating campaigns, gathering posts, moderating relay posts, impact numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import now
from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Event, Group, Membership
from hub.services import board, calls, campaigns, collaborations
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, group_post, member

pytestmark = pytest.mark.db


@pytest.fixture
async def group(db):
    """An open group with an owner."""
    owner = await account("owner")
    return await create_group("climate", "Climate", owner=owner)


def test_hashtags_are_normalised_and_found_in_text() -> None:
    """``#HeatWave`` -> ``heatwave``; hashtags written in text are found without URLs' fragments."""
    assert campaigns.normalise_hashtag("#HeatWave") == "heatwave"
    with pytest.raises(InvalidInput):
        campaigns.normalise_hashtag("not a tag")
    assert campaigns.hashtags_in_text("Join #HeatWave and #heatwave, see https://x.example/#frag") == ["heatwave"]


async def test_create_campaign_checks_values_and_records_event(group) -> None:
    """Organisers create a campaign with hashtags; bad values and duplicates are refused; non-organisers may not."""
    campaign = await campaigns.create_campaign(group, "heat", "Heat Action", hashtags=["#HeatWave", "coolroofs"],
                                               goal="Cool roofs", donation_url="https://give.example/heat", target=5000, unit="EUR")
    assert campaign.hashtags == ["heatwave", "coolroofs"]
    assert await Event.filter(kind="campaign.created", group=group).count() == 1
    with pytest.raises(Conflict):
        await campaigns.create_campaign(group, "heat", "Again", hashtags=["x"])
    with pytest.raises(InvalidInput):
        await campaigns.create_campaign(group, "other", "Other", hashtags=[])
    with pytest.raises(InvalidInput):
        await campaigns.create_campaign(group, "other", "Other", hashtags=["x"], donation_url="javascript:alert(1)")
    outsider = await member(group, "mallory")
    with pytest.raises(PermissionDenied):
        await campaigns.create_campaign(group, "other", "Other", hashtags=["x"], by=outsider)


async def test_member_posts_with_the_hashtag_are_gathered_and_approved(group) -> None:
    """A member's public post carrying the hashtag is gathered at once; members-only posts and other tags are not."""
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    alice = await member(group, "alice")
    post = await group_post(group, alice, "https://social.example/notes/1")
    post.language = "sw"
    [entry] = await campaigns.gather_member_post(post, ["heatwave"])
    assert entry.language == "sw"  # shown as the lang of the gathered post
    assert await campaigns.gather_member_post(post, ["heatwave"]) == []  # once
    other = await group_post(group, alice, "https://social.example/notes/2")
    assert await campaigns.gather_member_post(other, ["unrelated"]) == []
    private = await group_post(group, alice, "https://social.example/notes/3", visibility="members")
    assert await campaigns.gather_member_post(private, ["heatwave"]) == []
    shown = await campaigns.gathered(campaign)
    assert [e.uri for e in shown] == [post.uri]


async def test_a_collaboration_campaign_gathers_its_partners_members_posts(group) -> None:
    """A campaign run by a collaboration gathers hashtag posts made in its partner groups."""
    host_account = await account("climate", "hub.example")
    collab = await collaborations.create_collaboration(group, "alliance", "Alliance", host_account=host_account)
    campaign = await campaigns.create_campaign(await Group.get(id=collab.group_id), "heat", "Heat", hashtags=["heatwave"])
    alice = await member(group, "alice")
    post = await group_post(group, alice, "https://social.example/notes/7")
    [entry] = await campaigns.gather_member_post(post, ["heatwave"], partner=host_account)
    assert entry.campaign_id == campaign.id
    assert await campaigns.gather_member_post(post, ["heatwave"]) == []  # without the partner: not this group's campaign
    assert (await campaigns.impact(campaign)).partner_groups == 1


async def test_ended_campaigns_gather_nothing(group) -> None:
    """A campaign past its end date no longer gathers."""
    await campaigns.create_campaign(group, "old", "Old", hashtags=["old"], starts_at=now() - timedelta(days=10),
                                    ends_at=now() - timedelta(days=1))
    assert await campaigns.campaigns_for(["old"]) == []


async def test_relay_posts_wait_for_organisers_who_approve_hide_or_block(group) -> None:
    """Relay posts are pending; approve shows one, hide hides one, block bans the author and hides all their posts."""
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    stranger = await account("stranger", "far.example")
    spammer = await account("spammer", "far.example")

    async def relay(author, n):
        return (await campaigns.gather_relay_post(author, uri=f"{author.uri}/statuses/{n}", url=None, content_html="<p>x</p>",
                                                  published_at=now(), hashtags=["heatwave"]))[0]

    good, meh, spam1, spam2 = await relay(stranger, 1), await relay(stranger, 2), await relay(spammer, 1), await relay(spammer, 2)
    assert {good.state, meh.state, spam1.state} == {"pending"}
    assert await campaigns.gathered(campaign) == []
    await campaigns.moderate_gathered(good, "approve")
    await campaigns.moderate_gathered(meh, "hide")
    await campaigns.moderate_gathered(spam1, "block")
    assert [e.uri for e in await campaigns.gathered(campaign)] == [good.uri]
    await spam2.refresh_from_db()
    assert spam2.state == "hidden"
    assert await Membership.filter(group=group, account=spammer, state="banned").exists()
    # a banned author's next relayed post is not gathered at all
    assert await campaigns.gather_relay_post(spammer, uri=f"{spammer.uri}/statuses/3", url=None, content_html="",
                                             published_at=now(), hashtags=["heatwave"]) == []


async def test_impact_counts_what_happened(group) -> None:
    """Impact: member signups, filled calls, needs met, approved posts — non-members' signups are not counted."""
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    alice, bob = await member(group, "alice"), await member(group, "bob")
    outsider = await account("outsider")
    call = await calls.create_call(group, what="Water station", needed=2, campaign=campaign)
    small = await calls.create_call(group, what="Flyers", needed=5, campaign=campaign)
    for who in (alice, bob, outsider):
        await calls.sign_up(call, who, via="reply")
    await calls.sign_up(small, alice, via="vote")
    need = await board.add_item(group, alice, "need", "drinking water north", campaign=campaign)
    offer = await board.add_item(group, bob, "offer", "drinking water bottles", campaign=campaign)
    await board.mark_met(need, matched_with=offer)
    post = await group_post(group, alice, "https://social.example/notes/9")
    await campaigns.gather_member_post(post, ["heatwave"])
    impact = await campaigns.impact(campaign)
    assert (impact.signups, impact.calls_filled, impact.needs_met, impact.posts_gathered, impact.calls) == (3, 1, 1, 1, 2)


async def test_fundraising_figures_are_set_by_organisers(group) -> None:
    """Organisers report the amount raised; negative amounts are refused."""
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"], target=1000)
    await campaigns.set_fundraising(campaign, 250)
    assert (campaign.fundraising_progress, campaign.fundraising_target) == (250, 1000)
    with pytest.raises(InvalidInput):
        await campaigns.set_fundraising(campaign, -1)


async def test_refusals_name_the_form_field_they_are_about(group) -> None:
    """Each refusal of a campaign or its figures names the console form's field it is about; nothing is stored."""
    await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    cases = [({"slug": "Heat Wave"}, "slug"), ({"slug": "heat"}, "slug"), ({"name": " "}, "name"), ({"hashtags": ["not a tag"]}, "hashtags"),
             ({"hashtags": []}, "hashtags"), ({"goal": "g" * 2001}, "goal"), ({"donation_url": "give.example"}, "donation_url"),
             ({"target": -1}, "target"),
             ({"starts_at": datetime(2027, 2, 1, tzinfo=UTC), "ends_at": datetime(2027, 1, 1, tzinfo=UTC)}, "ends")]
    for values, field in cases:
        given = {"slug": "floods", "name": "Floods", "hashtags": ["rain"], **values}
        with pytest.raises((InvalidInput, Conflict)) as refused:
            await campaigns.create_campaign(group, given.pop("slug"), given.pop("name"), **given)
        assert refused.value.field == field, (values, str(refused.value))
    assert await campaigns.list_campaigns(group) == [await campaigns.get_campaign(group, "heat")]
    with pytest.raises(InvalidInput) as refused:
        await campaigns.set_fundraising(await campaigns.get_campaign(group, "heat"), -5)
    assert refused.value.field == "progress"
