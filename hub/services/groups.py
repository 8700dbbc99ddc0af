"""Creating, finding and listing groups."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from hub import rows
from hub.errors import Conflict, Gone, InvalidInput, NotFound, Suspended
from hub.keys import generate_ed25519_private_pem, generate_rsa_keypair
from hub.models import Account, Group, Membership
from hub.services import events

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"actor", "admin", "about", "inbox", "static", "media", "login", "logout", "console", "instance"})
VISIBILITIES = ("public", "private")
JOIN_POLICIES = ("open", "approval")
POSTING_MODES = ("members", "moderators", "held_first")
NAME_MAX = 200
"""Characters of a group's name at most (a name is a heading, a directory card title, a fediverse display name)."""
SUMMARY_MAX = 5000
"""Characters of a group's about text (Markdown) at most."""
RULES_MAX = 10_000
"""Characters of a group's rules (Markdown) at most."""


@dataclass(frozen=True)
class GroupSummary:
    """What listings show of a group."""

    slug: str
    name: str
    summary: str
    visibility: str
    join_policy: str
    members: int


def check_texts(name: str, summary: str, rules: str) -> str:
    """The group's name stripped, or InvalidInput naming the field that is empty or longer than its limit
    (:data:`NAME_MAX`, :data:`SUMMARY_MAX`, :data:`RULES_MAX` characters)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("give the group a name", field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"the name is limited to {NAME_MAX} characters (this one has {len(name):,})", field="name")
    if len(summary or "") > SUMMARY_MAX:
        raise InvalidInput(f"the about text is limited to {SUMMARY_MAX:,} characters (this one has {len(summary):,})", field="summary")
    if len(rules or "") > RULES_MAX:
        raise InvalidInput(f"the rules are limited to {RULES_MAX:,} characters (these have {len(rules):,})", field="rules")
    return name


def check_slug(slug: str) -> str:
    """Return the slug if usable as ``@slug@domain``, else raise InvalidInput saying what is allowed."""
    if not SLUG_RE.match(slug or ""):
        raise InvalidInput(
            f"slug {slug[:80]!r} is not valid: use 1-64 lower-case letters, digits or underscores, "
            "starting and ending with a letter or digit", field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"slug {slug!r} is reserved; choose another", field="slug")
    return slug


async def create_group(
    slug: str,
    name: str,
    *,
    summary: str = "",
    rules: str = "",
    closed: bool = False,
    private: bool = False,
    owner: Account | None = None,
    kind: str = "group",
) -> Group:
    """Create a group with a fresh key pair; ``closed`` means organisers approve each join."""
    check_slug(slug)
    name = check_texts(name, summary, rules)
    if await Group.filter(slug=slug).exists():
        raise Conflict(f"a group with the slug {slug!r} already exists (or existed: a deleted group's name is not given again)")
    private_pem, public_pem = generate_rsa_keypair()
    async with in_transaction():
        group = await Group.create(
            slug=slug,
            name=name,
            summary=summary,
            rules=rules,
            kind=kind,
            visibility="private" if private else "public",
            join_policy="approval" if (closed or private) else "open",
            posting_mode="members",
            private_key_pem=private_pem,
            public_key_pem=public_pem,
        )
        if owner is not None:
            await Membership.create(group=group, account=owner, state="accepted", role="owner")
        await events.record("group.created", group, slug=slug)
    return group


async def proof_key(group: Group) -> str:
    """The group's Ed25519 private key (PEM) for integrity proofs, made and stored now if it has none yet."""
    if not group.proof_key_pem:
        pem = generate_ed25519_private_pem()
        if not await Group.filter(id=group.id, proof_key_pem=None).update(proof_key_pem=pem):
            pem = (await Group.get(id=group.id)).proof_key_pem  # made meanwhile by another process
        group.proof_key_pem = pem
    return group.proof_key_pem


async def get_group(slug: str) -> Group:
    """The group with this slug, or NotFound (Gone, a NotFound, when its organisers deleted it; Suspended, a
    Gone, while the hub's administrators have suspended it)."""
    found = await rows.select(_by_slug(), [slug])
    if not found:
        raise NotFound(f"no group {slug!r} on this hub")
    group = rows.build(Group, found[0], "g")
    if group.deleted_at is not None:
        raise Gone(f"the group {slug!r} was deleted by its organisers")
    if group.suspended_at is not None:
        raise Suspended(f"the group {slug!r} was suspended by the hub's administrators: {group.suspension_reason}",
                        group.suspension_reason)
    return group


@rows.statement
def _by_slug() -> str:
    """A group by slug (every group page starts with it: hub.rows)."""
    return f"SELECT {rows.columns(Group, 'g')} FROM groups g WHERE g.slug = ?"


async def list_groups(*, include_private: bool = False) -> list[GroupSummary]:
    """Groups by name with their accepted member counts; private groups only when asked."""
    query = Group.filter(deleted_at__isnull=True).order_by("name")
    if not include_private:
        query = query.filter(visibility="public")
    groups = await query
    counts = await member_counts([g.id for g in groups])
    return [
        GroupSummary(g.slug, g.name, g.summary, g.visibility, g.join_policy, counts.get(g.id, 0)) for g in groups
    ]


async def member_counts(group_ids: list[int]) -> dict[int, int]:
    """Accepted members per group id."""
    if not group_ids:
        return {}
    rows = (
        await Membership.filter(group_id__in=group_ids, state="accepted")
        .annotate(members=Count("id"))
        .group_by("group_id")
        .values_list("group_id", "members")
    )
    return {group_id: members for group_id, members in rows}
