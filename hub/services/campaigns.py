"""Campaigns: named efforts of a group (or a collaboration) with hashtags, a goal, dates and a fundraising figure.

Public posts by members that carry a campaign's hashtag are gathered on its page at once; posts from
the wider fediverse that reach the hub through a relay wait for organisers, who approve them, hide
them or block their author. :func:`impact` counts what was done — people signed up, needs met,
calls filled, posts gathered, partner groups — never likes.

Events recorded: ``campaign.created`` {campaign_id} (the group publishes a Note about it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound
from hub.lifecycle import CAMPAIGN_POST
from hub.models import (
    Account, BoardItem, CallToAction, Campaign, CampaignPost, Collaboration, Group, GroupFollow, Membership, PartnerCall, Post, Signup,
    Tombstone,
)
from hub.services import blocks, events, moderation_log
from hub.services.groups import SLUG_RE
from hub.services.members import MODERATOR_ROLES, ORGANISER_ROLES, is_member, remove, require_role

HASHTAG_RE = re.compile(r"^[^\W_][\w]{0,99}$")
_TEXT_TAG = re.compile(r"(?:^|(?<=[^\w&/#]))#([^\W_][\w]{0,99})")
MAX_HASHTAGS = 10
MAX_GOAL = 2000
MODERATION_ACTIONS = ("approve", "hide", "block")


@dataclass(frozen=True)
class Impact:
    """What a campaign has done, in numbers (and the days of its activity for the chart)."""

    signups: int
    """People who answered "I'm in" to its calls (members, counted once per call)."""
    needs_met: int
    """Needs on its board marked met."""
    calls_filled: int
    """Calls that got as many people as they needed."""
    posts_gathered: int
    """Approved posts gathered by its hashtags."""
    partner_groups: int
    """Groups working with the campaign's group (collaboration partners, followed groups)."""
    calls: int
    """Calls published (the group's own and its partners')."""
    by_group: tuple[tuple[str, int, int], ...] = ()
    """(group, calls, sign-ups) for the campaign's own group (its slug) and each partner (its actor id) that has calls."""


def normalise_hashtag(value: str, *, field: str | None = None) -> str:
    """``#ClimateStrike`` -> ``climatestrike``; InvalidInput (about ``field``, the form field) when it is not a hashtag."""
    tag = (value or "").strip().lstrip("#").casefold()
    if not HASHTAG_RE.match(tag):
        raise InvalidInput(f"{value!r} is not a hashtag: use letters, digits and underscores, starting with a letter or digit",
                           field=field)
    return tag


def hashtags_in_text(text: str) -> list[str]:
    """Hashtags written in plain text (``#word``), lower-cased, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).casefold() for m in _TEXT_TAG.finditer(text or "")))


def _check_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if not url.startswith(("https://", "http://")) or len(url) > 1024 or any(c.isspace() for c in url):
        raise InvalidInput("the donation page must be an http(s) address of at most 1,024 characters", field="donation_url")
    return url


def _check_amount(value: int | None, name: str, field: str) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= 2_000_000_000:
        raise InvalidInput(f"{name} must be a whole number from 0 to 2,000,000,000", field=field)
    return value


async def create_campaign(
    group: Group, slug: str, name: str, *, hashtags: list[str], goal: str = "", starts_at: datetime | None = None,
    ends_at: datetime | None = None, donation_url: str | None = None, target: int | None = None, unit: str = "",
    by: Account | None = None,
) -> Campaign:
    """Start a campaign in ``group`` (organisers only); event ``campaign.created``."""
    await require_role(group, by, ORGANISER_ROLES)
    if not SLUG_RE.match(slug or ""):
        raise InvalidInput(f"campaign name {slug!r} is not valid: use 1-64 lower-case letters, digits or underscores",
                           field="slug")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("a campaign needs a name of 1-200 characters", field="name")
    tags = list(dict.fromkeys(normalise_hashtag(t, field="hashtags") for t in hashtags if t and t.strip()))
    if not tags or len(tags) > MAX_HASHTAGS:
        raise InvalidInput(f"a campaign needs 1-{MAX_HASHTAGS} hashtags", field="hashtags")
    if len(goal or "") > MAX_GOAL:
        raise InvalidInput(f"the goal is limited to {MAX_GOAL:,} characters", field="goal")
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("a campaign must end after it starts", field="ends")
    unit = (unit or "").strip()[:16]
    if await Campaign.filter(group=group, slug=slug).exists():
        raise Conflict(f"{group.slug} already has a campaign called {slug!r}", field="slug")
    async with in_transaction():
        campaign = await Campaign.create(
            group=group, slug=slug, name=name, hashtags=tags, goal=(goal or "").strip(), starts_at=starts_at,
            ends_at=ends_at, donation_url=_check_url(donation_url), fundraising_target=_check_amount(target, "the target", "target"),
            fundraising_progress=0, fundraising_unit=unit,
        )
        await events.record("campaign.created", group, campaign_id=campaign.id)
    return campaign


async def get_campaign(group: Group, slug: str) -> Campaign:
    """The group's campaign with this slug, or NotFound."""
    campaign = await Campaign.get_or_none(group=group, slug=slug)
    if campaign is None:
        raise NotFound(f"{group.slug} has no campaign {slug!r}")
    return campaign


async def find_campaign(ref: str) -> Campaign:
    """A campaign by ``GROUP/CAMPAIGN`` or by row id (CLI), with its group."""
    if ref.isdigit():
        campaign = await Campaign.get_or_none(id=int(ref)).prefetch_related("group")
    else:
        slug, _, name = ref.partition("/")
        campaign = await Campaign.get_or_none(group__slug=slug, slug=name).prefetch_related("group")
    if campaign is None:
        raise NotFound(f"no campaign {ref!r}: name it GROUP/CAMPAIGN")
    return campaign


async def list_campaigns(group: Group) -> list[Campaign]:
    """The group's campaigns, newest first."""
    return await Campaign.filter(group=group).order_by("-id")


def is_running(campaign: Campaign, at: datetime | None = None) -> bool:
    """Whether the campaign gathers posts at ``at`` (now): started (or no start) and not ended."""
    moment = at or now()
    return (campaign.starts_at is None or campaign.starts_at <= moment) and (campaign.ends_at is None or moment < campaign.ends_at)


async def campaigns_for(hashtags: list[str], *, group: Group | None = None) -> list[Campaign]:
    """Running campaigns (of ``group``, or of every group) whose hashtags meet ``hashtags``."""
    wanted = {t.casefold() for t in hashtags}
    if not wanted:
        return []
    query = Campaign.all() if group is None else Campaign.filter(group=group)
    found = []
    for campaign in await query.prefetch_related("group"):
        if wanted & set(campaign.hashtags or []) and is_running(campaign):
            found.append(campaign)
    return found


async def set_fundraising(
    campaign: Campaign, progress: int, *, target: int | None = None, by: Account | None = None,
) -> Campaign:
    """Organisers report the amount raised (and optionally a new target); no payment passes through the hub."""
    group = await Group.get(id=campaign.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    campaign.fundraising_progress = _check_amount(progress, "the amount raised", "progress")
    if target is not None:
        campaign.fundraising_target = _check_amount(target, "the target", "target")
    await campaign.save(update_fields=["fundraising_progress", "fundraising_target"])
    return campaign


# --- gathering -----------------------------------------------------------------------------------


async def partner_campaigns(partner: Account, hashtags: list[str]) -> list[Campaign]:
    """Running campaigns with these hashtags of the collaborations in which ``partner`` (a group's account) is a partner."""
    collaborations = await Membership.filter(account=partner, role="partner", state="accepted").values_list("group_id", flat=True)
    if not collaborations:
        return []
    return [c for c in await campaigns_for(hashtags) if c.group_id in set(collaborations)]


async def gather_member_post(
    post: Post, hashtags: list[str], *, attachments: list[dict] | None = None, partner: Account | None = None,
) -> list[CampaignPost]:
    """A member's public group post with a campaign's hashtag joins the campaign (approved at once).

    With ``partner`` (the account standing for the post's group), campaigns of the collaborations the
    group is a partner in gather it too: a collaboration's campaign collects its partners' members' posts.
    """
    if post.visibility not in ("public", "unlisted") or post.via_id is not None:
        return []
    group = await Group.get(id=post.group_id)
    targets = await campaigns_for(hashtags, group=group)
    if partner is not None:
        targets += [c for c in await partner_campaigns(partner, hashtags) if c.id not in {t.id for t in targets}]
    out = []
    for campaign in targets:
        entry, created = await CampaignPost.get_or_create(
            campaign=campaign, uri=post.uri,
            defaults={
                "post": post, "author_id": post.author_id, "url": post.url, "content_html": post.content_html,
                "language": post.language,
                "attachments": attachments or [], "source": "member", "state": "approved",
                "published_at": post.published_at,
            },
        )
        if created:
            out.append(entry)
    return out


async def gather_shared_post(post: Post, hashtags: list[str], *, attachments: list[dict] | None = None) -> list[CampaignPost]:
    """A post a partner group shared into a collaboration's space joins the space's running campaigns with its hashtags.

    Approved at once (the partner's own member wrote it) with source ``partner``; the post's ``via``
    credits the partner group it came through, whatever hub that group is on.
    """
    if post.visibility not in ("public", "unlisted") or post.via_id is None:
        return []
    out = []
    for campaign in await campaigns_for(hashtags, group=await Group.get(id=post.group_id)):
        entry, created = await CampaignPost.get_or_create(
            campaign=campaign, uri=post.uri,
            defaults={
                "post": post, "author_id": post.author_id, "url": post.url, "content_html": post.content_html,
                "attachments": attachments or [], "source": "partner", "state": "approved", "published_at": post.published_at,
            },
        )
        if created:
            out.append(entry)
    return out


async def gather_relay_post(
    author: Account, *, uri: str, url: str | None, content_html: str, published_at: datetime, hashtags: list[str],
    attachments: list[dict] | None = None, language: str | None = None,
) -> list[CampaignPost]:
    """A public post from a relay with a campaign's hashtag waits for each campaign's organisers (pending).

    Authors banned from the campaign's group, or on a domain it blocks, are not gathered; members'
    posts are approved at once as if they had posted to the group.
    """
    out = []
    for campaign in await campaigns_for(hashtags):
        group = campaign.group
        banned = await Membership.filter(group=group, account=author, state="banned").exists()
        if banned or await blocks.group_blocked(group, author.uri):
            continue
        state = "approved" if await is_member(group, author) else "pending"
        async with in_transaction():
            entry, created = await CampaignPost.get_or_create(
                campaign=campaign, uri=uri,
                defaults={
                    "author": author, "url": url, "content_html": content_html, "language": language,
                    "attachments": attachments or [], "source": "relay", "state": state, "published_at": published_at,
                },
            )
            if created and state == "pending":
                await events.record("campaign.post_pending", group, entry_id=entry.id, campaign_id=campaign.id)
        if created:
            out.append(entry)
    return out


async def credited_group(entry: CampaignPost) -> str | None:
    """The actor id of the partner group a gathered post came through (None for the campaign's own group)."""
    post = await Post.get_or_none(id=entry.post_id) if entry.post_id else None
    if post is None or post.via_id is None:
        return None
    return (await Account.get(id=post.via_id)).uri


async def moderate_gathered(entry: CampaignPost, action: str, *, by: Account | None = None, reason: str | None = None) -> CampaignPost:
    """Organisers approve or hide a gathered post, or block its author (banned from the group, their posts hidden)."""
    if action not in MODERATION_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(MODERATION_ACTIONS)}")
    campaign = await Campaign.get(id=entry.campaign_id)
    group = await Group.get(id=campaign.group_id)
    await require_role(group, by, MODERATOR_ROLES)
    async with in_transaction():
        if action == "block":
            author = await Account.get(id=entry.author_id)
            if not await Membership.filter(group=group, account=author, state="banned").exists():
                await remove(group, author, ban=True, reason=reason or "blocked from the campaign page", by=by)
            for other in await CampaignPost.filter(campaign__group=group, author=author).exclude(state="hidden"):
                CAMPAIGN_POST.check(other.state, "hidden")
                other.state = "hidden"
                await other.save(update_fields=["state"])
            await entry.refresh_from_db()
            return entry
        target = "approved" if action == "approve" else "hidden"
        if entry.state != target:
            CAMPAIGN_POST.check(entry.state, target)
            entry.state = target
            await entry.save(update_fields=["state"])
            await moderation_log.record(f"campaign_post_{target}", entry.uri, group=group, by=by, reason=reason)
    return entry


async def gathered(campaign: Campaign, *, state: str = "approved", limit: int = 50, before_id: int | None = None) -> list[CampaignPost]:
    """Gathered posts of one state, newest first; members' posts only while still published in the group."""
    query = CampaignPost.filter(campaign=campaign, state=state)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(limit * 2).prefetch_related("author", "post")
    banned = set(await Membership.filter(group_id=campaign.group_id, state="banned").values_list("account_id", flat=True))
    deleted = set(await Tombstone.filter(uri__in=[r.uri for r in rows if r.post is None]).values_list("uri", flat=True))
    shown = [
        r for r in rows
        if r.author_id not in banned
        and ((r.post is None and r.source == "relay" and r.uri not in deleted) or (r.post is not None and r.post.state == "published"))
    ]
    return shown[:limit]


async def follow_edit(author: Account, uri: str, content_html: str) -> int:
    """The author edited a gathered post: every campaign shows the new text (sanitised HTML); how many entries changed."""
    return await CampaignPost.filter(uri=uri, author=author).exclude(content_html=content_html).update(content_html=content_html)


# --- impact --------------------------------------------------------------------------------------


async def partner_count(group: Group) -> int:
    """Groups working with ``group``: a collaboration's partners, or a group's followed groups and co-partners."""
    if group.kind == "collaboration":
        return await Membership.filter(group=group, role="partner", state="accepted").count()
    partners = set(await GroupFollow.filter(group=group, state="accepted").values_list("target_id", flat=True))
    collab_groups = await Collaboration.filter(host_group=group).values_list("group_id", flat=True)
    if collab_groups:
        rows = await Membership.filter(group_id__in=list(collab_groups), role="partner", state="accepted").prefetch_related("account")
        own = f"/groups/{group.slug}"
        partners |= {m.account_id for m in rows if not m.account.uri.endswith(own)}
    return len(partners)


async def impact(campaign: Campaign) -> Impact:
    """The campaign's numbers, counted from the rows (never estimated)."""
    group = await Group.get(id=campaign.group_id)
    calls = await CallToAction.filter(campaign=campaign)
    signups = 0
    filled = 0
    for call in calls:
        counted = await Signup.filter(call=call, member=True).count()
        signups += counted
        filled += counted >= call.needed
    banned = Subquery(Membership.filter(group_id=campaign.group_id, state="banned").values("account_id"))
    deleted = Subquery(Tombstone.all().values("uri"))
    posts = await CampaignPost.filter(campaign=campaign, state="approved").exclude(author_id__in=banned).filter(
        Q(source="relay", post_id__isnull=True, uri__not_in=deleted) | Q(post__state="published")
    ).count()  # what the campaign page lists (gathered())
    needs_met = await BoardItem.filter(campaign=campaign, kind="need", state="met").count()
    by_group: dict[str, list[int]] = {group.slug: [len(calls), signups]} if calls else {}
    partner_calls = await PartnerCall.filter(campaign=campaign).prefetch_related("partner")
    for row in partner_calls:
        credit = by_group.setdefault(row.partner.uri, [0, 0])
        credit[0] += 1
        credit[1] += row.signups
    return Impact(
        signups=signups + sum(row.signups for row in partner_calls), needs_met=needs_met, calls_filled=filled,
        posts_gathered=posts, partner_groups=await partner_count(group), calls=len(calls) + len(partner_calls),
        by_group=tuple((name, n, s) for name, (n, s) in by_group.items()),
    )
