"""CLI for organisers without the web (registered by the composition root, causeway.cli):

    hub campaign create GROUP NAME --hashtag TAG ... [--slug SLUG] [--goal TEXT] [--donation-url URL --target N]
                                   [--unit EUR] [--starts DATE] [--ends DATE]
    hub campaign list GROUP [--json]
    hub campaign progress GROUP/SLUG AMOUNT [--target N]
    hub campaign posts GROUP CAMPAIGN [--state pending|approved|hidden] [--json]
    hub campaign moderate ENTRY_ID approve|hide|block
    hub call create GROUP --what ... [--where ...] [--when 2026-12-05T09:00 [--zone Europe/Lisbon]] --needed N [--campaign SLUG] [--kind K]
                          [--non-members apart|ignore] [--image FILE --alt TEXT]
    hub call list GROUP [--json]
    hub call close ID
    hub alert send GROUP TEXT [--campaign SLUG] [--image FILE --alt TEXT]
    hub board list GROUP [--json]
    hub board met ID [--with OFFER_ID]
    hub board remove ID [--reason TEXT]

GROUP is a group's (or a collaboration's) slug; a campaign's own slug comes from its name unless ``--slug``.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from hub.errors import InvalidInput
from hub.models import CampaignPost
from hub.services import alerts, board, calls, campaigns, groups, media
from hub.settings import Settings
from hub.terminal import print_json, print_table


def _date(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def image_from_file(settings: Settings, path: str | None, alt: str | None):
    """The image file at ``path`` stored with its alt text (checked, cleaned); None without a path."""
    if not path:
        return None
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(media.MAX_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return await media.store_image(settings.data_dir, data, alt)


def slugify(name: str) -> str:
    """A campaign slug from its name: lower-case letters, digits and underscores."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:64].strip("_")
    if not slug:
        raise InvalidInput("give the campaign a --slug of letters, digits or underscores")
    return slug


async def _campaign_create(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    campaign = await campaigns.create_campaign(
        group, args.slug or slugify(args.name), args.name, hashtags=args.hashtag, goal=args.goal or "", starts_at=args.starts, ends_at=args.ends,
        donation_url=args.donation_url, target=args.target, unit=args.unit or "",
    )
    print(f"created campaign {group.slug}/{campaign.slug} at {settings.base_url}/groups/{group.slug}/campaigns/{campaign.slug}"
          f" (hashtags: {' '.join('#' + t for t in campaign.hashtags)}); its announcement is queued")
    return 0


async def _campaign_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    rows = []
    for c in await campaigns.list_campaigns(group):
        impact = await campaigns.impact(c)
        rows.append({"id": c.id, "slug": c.slug, "name": c.name, "hashtags": c.hashtags, "running": campaigns.is_running(c),
                     "signups": impact.signups, "needs_met": impact.needs_met, "calls_filled": impact.calls_filled,
                     "posts_gathered": impact.posts_gathered, "partner_groups": impact.partner_groups, "calls": impact.calls,
                     "by_group": [{"group": g, "calls": n, "signups": s} for g, n, s in impact.by_group],
                     "fundraising_progress": c.fundraising_progress, "fundraising_target": c.fundraising_target,
                     "pending": await CampaignPost.filter(campaign=c, state="pending").count(),
                     "url": f"{settings.base_url}/groups/{group.slug}/campaigns/{c.slug}"})
    if args.json:
        print_json(rows)
    else:
        print_table([(r["slug"], r["name"], " ".join("#" + t for t in r["hashtags"]), r["signups"], r["posts_gathered"],
                      r["pending"]) for r in rows], ["campaign", "name", "hashtags", "signed up", "posts", "pending"])
    return 0


async def _campaign_progress(args: argparse.Namespace, settings: Settings) -> int:
    campaign = await campaigns.find_campaign(args.campaign)
    await campaigns.set_fundraising(campaign, args.amount, target=args.target)
    print(f"{campaign.slug}: {campaign.fundraising_progress} of {campaign.fundraising_target or '-'} {campaign.fundraising_unit}".rstrip())
    return 0


async def _campaign_posts(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    campaign = await campaigns.get_campaign(group, args.campaign)
    rows = [{"id": e.id, "state": e.state, "source": e.source, "uri": e.uri, "url": e.url,
             "author": e.author.handle or e.author.uri, "published": e.published_at.isoformat(),
             "via": await campaigns.credited_group(e)}
            for e in await campaigns.gathered(campaign, state=args.state, limit=200)]
    if args.json:
        print_json(rows)
    else:
        print_table([(r["id"], r["source"], r["author"], r["uri"]) for r in rows], ["id", "source", "author", "post"])
    return 0


async def _campaign_moderate(args: argparse.Namespace, settings: Settings) -> int:
    entry = await CampaignPost.get_or_none(id=args.entry_id)
    if entry is None:
        raise InvalidInput(f"no gathered post #{args.entry_id}")
    entry = await campaigns.moderate_gathered(entry, args.action)
    print(f"gathered post #{entry.id} is {entry.state}")
    return 0


async def _call_create(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    campaign = await campaigns.get_campaign(group, args.campaign) if args.campaign else None
    image = await image_from_file(settings, args.image, args.alt)
    call = await calls.create_call(
        group, what=args.what, where=args.where or "", when=args.when or "", time_zone=args.zone, details=args.details or "", needed=args.needed,
        kind=args.kind, campaign=campaign, non_members=args.non_members, image=image,
    )
    print(f"published call #{call.id} at {settings.base_url}/groups/{group.slug}/calls/{call.id}; it is queued for the members")
    return 0


async def _call_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    rows = []
    for call in await calls.list_calls(group):
        status = await calls.status(call)
        rows.append({"id": call.id, "what": call.what, "where": call.where_text, "when": call.starts_at.isoformat() if call.starts_at else call.when_text, "time_zone": call.time_zone, "needed": call.needed,
                     "signed_up": status.counted, "remaining": status.remaining, "state": call.state,
                     "members": [s.account.handle or s.account.uri for s in status.members],
                     "others": [s.account.handle or s.account.uri for s in status.others]})
    if args.json:
        print_json(rows)
    else:
        print_table([(r["id"], r["what"], r["state"], f"{r['signed_up']}/{r['needed']}") for r in rows],
                    ["id", "what", "state", "signed up"])
    return 0


async def _call_close(args: argparse.Namespace, settings: Settings) -> int:
    call = await calls.close_call(await calls.get_call(args.call_id))
    print(f"closed call #{call.id}")
    return 0


async def _alert_send(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    campaign = await campaigns.get_campaign(group, args.campaign) if args.campaign else None
    image = await image_from_file(settings, args.image, args.alt)
    alert = await alerts.send_alert(group, args.text, campaign=campaign, image=image)
    print(f"alert #{alert.id} pinned; direct messages to {alert.recipients} member(s) are queued")
    return 0


async def _board_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    rows = await board.items(group, state=None)
    matches = await board.suggest_matches(group)
    data = {
        "items": [{"id": i.id, "kind": i.kind, "text": i.text, "state": i.state, "author": i.author.handle or i.author.uri,
                   "post": i.post_uri, "matched_with": i.matched_with_id} for i in rows],
        "matches": [{"need": m.need.id, "offer": m.offer.id, "shared": list(m.shared)} for m in matches],
    }
    if args.json:
        print_json(data)
    else:
        print_table([(i["id"], i["kind"], i["state"], i["text"][:60], i["author"]) for i in data["items"]],
                    ["id", "kind", "state", "text", "author"])
        for m in data["matches"]:
            print(f"suggested: need #{m['need']} <- offer #{m['offer']} ({', '.join(m['shared'])})")
    return 0


async def _board_met(args: argparse.Namespace, settings: Settings) -> int:
    item = await board.get_item(args.item_id)
    other = await board.get_item(args.with_item) if args.with_item else None
    await board.mark_met(item, matched_with=other)
    print(f"{item.kind} #{item.id} is met" + (f" by #{other.id}" if other else ""))
    return 0


async def _board_remove(args: argparse.Namespace, settings: Settings) -> int:
    item = await board.get_item(args.item_id)
    await board.remove_item(item, reason=args.reason)
    print(f"{item.kind} #{item.id} is off the board")
    return 0


def register(cli) -> None:
    """Add the campaign, call, alert and board commands to the ``hub`` command tree."""
    p = cli.command("campaign create", "start a campaign in a group", _campaign_create)
    p.add_argument("group", help="the group's (or collaboration's) slug")
    p.add_argument("name", help="the campaign's name")
    p.add_argument("--slug", help="the campaign's short name in its address (default: from the name)")
    p.add_argument("--hashtag", action="append", required=True, help="a hashtag the campaign gathers (repeat for more)")
    p.add_argument("--goal")
    p.add_argument("--starts", type=_date)
    p.add_argument("--ends", type=_date)
    p.add_argument("--donation-url")
    p.add_argument("--target", type=int, help="fundraising target (a whole number)")
    p.add_argument("--unit", help="currency or unit of the target (EUR, USD, meals…)")
    p = cli.command("campaign list", "a group's campaigns with their impact numbers", _campaign_list)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p = cli.command("campaign progress", "report the amount a campaign raised", _campaign_progress)
    p.add_argument("campaign", help="GROUP/CAMPAIGN or the campaign's id")
    p.add_argument("amount", type=int)
    p.add_argument("--target", type=int)
    p = cli.command("campaign posts", "posts a campaign gathered (pending ones wait for approval)", _campaign_posts)
    p.add_argument("group")
    p.add_argument("campaign", help="the campaign's short name")
    p.add_argument("--state", choices=("pending", "approved", "hidden"), default="approved")
    p.add_argument("--json", action="store_true")
    p = cli.command("campaign moderate", "approve or hide a gathered post, or block its author", _campaign_moderate)
    p.add_argument("entry_id", type=int)
    p.add_argument("action", choices=campaigns.MODERATION_ACTIONS)
    p = cli.command("call create", "publish a call to action (a Question with the poll option “I'm in”)", _call_create)
    p.add_argument("group")
    p.add_argument("--what", required=True)
    p.add_argument("--where")
    p.add_argument("--when", help="local date and time, e.g. 2026-12-05T09:00 (in --zone)")
    p.add_argument("--zone", help="IANA time zone of --when, e.g. Europe/Lisbon (default: the group's)")
    p.add_argument("--details")
    p.add_argument("--needed", type=int, required=True)
    p.add_argument("--campaign", help="the campaign's short name")
    p.add_argument("--kind", choices=calls.KINDS, default="shift")
    p.add_argument("--non-members", choices=calls.NON_MEMBER_POLICIES, default="apart")
    p.add_argument("--image", help="an image file (PNG, JPEG, GIF, WebP; at most 5 MiB)")
    p.add_argument("--alt", help="the image's description (required with --image)")
    p = cli.command("call list", "a group's calls and who signed up", _call_list)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p = cli.command("call close", "close a call", _call_close)
    p.add_argument("call_id", type=int)
    p = cli.command("alert send", "pin an urgent alert and send it to members who opted in", _alert_send)
    p.add_argument("group")
    p.add_argument("text")
    p.add_argument("--campaign")
    p.add_argument("--image")
    p.add_argument("--alt")
    p = cli.command("board list", "a group's needs and offers, with suggested matches", _board_list)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p = cli.command("board met", "mark a need (or offer) met", _board_met)
    p.add_argument("item_id", type=int)
    p.add_argument("--with", dest="with_item", type=int, help="the offer (or need) that met it")
    p = cli.command("board remove", "take a need or offer off the public board for good", _board_remove)
    p.add_argument("item_id", type=int)
    p.add_argument("--reason", help="why (kept in the moderation log)")
