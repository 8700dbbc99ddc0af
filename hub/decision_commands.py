"""CLI for group decisions (loaded through the ``causeway.cli`` entry point ``decisions``):

    hub decision open GROUP QUESTION --option A --option B ... --closes WHEN [--timezone TZ] [--multiple] [--final]
                      [--quorum N] [--details TEXT]
    hub decision list GROUP [--state open|closed] [--json]
    hub decision show ID [--json]
    hub decision close ID
    hub decision openers GROUP organisers|members

WHEN is a date-time read in ``--timezone`` (an IANA name, default UTC) unless it carries an offset,
or a duration from now (``90m``, ``12h``, ``3d``, ``1w``). A malformed closing time or an unknown
time zone is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hub.errors import InvalidInput
from hub.models import Decision, Group
from hub.services import decisions, groups
from hub.settings import Settings
from hub.terminal import print_json, print_table


def _zone(value: str) -> str:
    try:
        decisions.time_zone(value)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _who(account) -> str:
    return account.handle or account.uri


async def describe(decision: Decision, settings: Settings) -> dict[str, Any]:
    """A decision as ``hub decision show --json`` prints it: options with members' and others' votes, who voted, result."""
    group = await Group.get(id=decision.group_id)
    tally = await decisions.tally(decision)
    counted, apart = await decisions.ballots(decision)
    return {
        "id": decision.id, "group": group.slug, "question": decision.question, "details": decision.details,
        "state": decision.state, "multiple": decision.multiple, "changeable": decision.changeable, "quorum": decision.quorum,
        "closes_at": decision.closes_at.isoformat(), "timezone": decision.timezone,
        "closes_local": decisions.local_time(decision).isoformat(timespec="minutes"),
        "closed_at": decision.closed_at.isoformat() if decision.closed_at else None,
        "options": [{"name": name, "votes": tally.counts[i], "others": tally.others[i]} for i, name in enumerate(decision.options)],
        "voters": tally.voters, "other_voters": tally.other_voters, "quorum_met": tally.quorum_met,
        "winners": [decision.options[i] for i in tally.winners],
        "members": [{"account": _who(a), "choices": [decision.options[c] for c in cs]} for a, cs in counted],
        "others": [{"account": _who(a), "choices": [decision.options[c] for c in cs]} for a, cs in apart],
        "object": decision.object_uri, "url": f"{settings.base_url}/groups/{group.slug}/decisions#decision-{decision.id}",
    }


async def _open(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    try:
        closes_at = decisions.closing_time(args.closes, args.timezone)
    except InvalidInput as exc:
        print(f"hub: --closes: {exc}", file=sys.stderr)
        return 2
    decision = await decisions.open_decision(
        group, question=args.question, options=args.option, closes_at=closes_at, timezone=args.timezone,
        multiple=args.multiple, changeable=not args.final, quorum=args.quorum, details=args.details or "",
    )
    local = decisions.local_time(decision).strftime("%Y-%m-%d %H:%M")
    print(f"opened decision #{decision.id} in {group.slug}, closing {local} {decision.timezone}; "
          f"its Question is queued for the members ({settings.base_url}/groups/{group.slug}/decisions)")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    rows = [await describe(d, settings) for d in await decisions.list_decisions(group, state=args.state)]
    if args.json:
        print_json(rows)
    else:
        print_table([(r["id"], r["question"][:50], r["state"], r["closes_local"], r["voters"],
                      "-" if r["quorum"] is None else ("met" if r["quorum_met"] else "not met"), " / ".join(r["winners"]))
                     for r in rows], ["id", "question", "state", "closes", "voters", "quorum", "leading"])
    return 0


async def _show(args: argparse.Namespace, settings: Settings) -> int:
    data = await describe(await decisions.get_decision(args.decision_id), settings)
    if args.json:
        print_json(data)
        return 0
    print(f"#{data['id']} {data['question']} ({data['state']}, closes {data['closes_local']} {data['timezone']})")
    print_table([(o["name"], o["votes"], o["others"]) for o in data["options"]], ["option", "members' votes", "others (not counted)"])
    quorum = "no quorum" if data["quorum"] is None else f"quorum {data['quorum']}: {'met' if data['quorum_met'] else 'not met'}"
    print(f"{data['voters']} member(s) voted, {data['other_voters']} other(s); {quorum}")
    return 0


async def _close(args: argparse.Namespace, settings: Settings) -> int:
    decision = await decisions.close_decision(await decisions.get_decision(args.decision_id))
    data = await describe(decision, settings)
    print(f"closed decision #{decision.id}: {' / '.join(data['winners']) or 'no member voted'}; the result is queued for the members")
    return 0


async def _openers(args: argparse.Namespace, settings: Settings) -> int:
    group = await decisions.set_openers(await groups.get_group(args.group), args.who)
    print(f"in {group.slug}, {group.decisions_by} may open decisions")
    return 0


def register(cli) -> None:
    """Add the decision commands to the ``hub`` command tree."""
    p = cli.command("decision open", "open a vote in a group (the group posts it as a poll)", _open)
    p.add_argument("group", help="the group's slug")
    p.add_argument("question")
    p.add_argument("--option", action="append", required=True, help="an option (repeat: 2 to 10)")
    p.add_argument("--closes", required=True, help="YYYY-MM-DDTHH:MM in --timezone, or a duration (90m, 12h, 3d, 1w)")
    p.add_argument("--timezone", type=_zone, default="UTC", help="IANA time zone of --closes and of the pages (default UTC)")
    p.add_argument("--multiple", action="store_true", help="people may choose several options")
    p.add_argument("--final", action="store_true", help="single choice: the first vote is final (default: a later vote replaces it)")
    p.add_argument("--quorum", type=int, help="how many members must vote for the result to count")
    p.add_argument("--details")
    p = cli.command("decision list", "a group's decisions with their votes and results", _list)
    p.add_argument("group")
    p.add_argument("--state", choices=("open", "closed"))
    p.add_argument("--json", action="store_true")
    p = cli.command("decision show", "one decision: votes per option, who voted (members and others apart), quorum", _show)
    p.add_argument("decision_id", type=int)
    p.add_argument("--json", action="store_true")
    p = cli.command("decision close", "close a decision now and publish its result", _close)
    p.add_argument("decision_id", type=int)
    p = cli.command("decision openers", "who may open decisions in a group", _openers)
    p.add_argument("group")
    p.add_argument("who", choices=decisions.OPENERS)
