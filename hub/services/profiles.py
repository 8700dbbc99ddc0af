"""Organisers' changes to a group's profile: who may create groups, name/about/rules/policies, the avatar."""

from __future__ import annotations

from pathlib import Path

from tortoise.transactions import in_transaction

from hub.errors import ImageRejected, InvalidInput, PermissionDenied
from hub.languages import check_language
from hub.models import Account, Group
from hub.services import events, media
from hub.services.groups import JOIN_POLICIES, POSTING_MODES, check_texts, create_group
from hub.services.members import ORGANISER_ROLES, require_role
from hub.places import check_city, check_country
from hub.timezones import check_zone


def may_create_groups(account: Account | None, *, open_group_creation: bool) -> bool:
    """Instance administrators may; any signed-in fediverse account too when creation is open."""
    if account is None:
        return False
    return account.is_admin or (open_group_creation and not account.is_local)


async def create_group_for(
    account: Account, slug: str, name: str, *, summary: str = "", closed: bool = False, open_group_creation: bool
) -> Group:
    """Create a group owned by ``account``; PermissionDenied unless :func:`may_create_groups`."""
    if not may_create_groups(account, open_group_creation=open_group_creation):
        raise PermissionDenied("only the hub's administrators may create groups here")
    return await create_group(slug, name, summary=summary, closed=closed, owner=account)


async def update_profile(
    group: Group, *, by: Account | None, name: str, summary: str, rules: str, join_policy: str, posting_mode: str,
    language: str | None = None, time_zone: str | None = None, city: str | None = None, country: str | None = None,
) -> Group:
    """Change the group's name, about text, rules, join policy and posting mode (owners and admins), and, when
    given, its language, time zone, city and country (an empty country clears the place)."""
    await require_role(group, by, ORGANISER_ROLES)
    place = await check_settings(group, language=language, time_zone=time_zone, city=city, country=country)
    name = check_texts(name, summary, rules)
    if join_policy not in JOIN_POLICIES:
        raise InvalidInput(f"join policy must be one of {', '.join(JOIN_POLICIES)}", field="join_policy")
    if posting_mode not in POSTING_MODES:
        raise InvalidInput(f"posting mode must be one of {', '.join(POSTING_MODES)}", field="posting_mode")
    if group.visibility == "private" and join_policy == "open":
        raise InvalidInput("a private group approves its members: the join policy must be approval", field="join_policy")
    async with in_transaction():
        group.name, group.summary, group.rules = name, summary, rules
        group.join_policy, group.posting_mode = join_policy, posting_mode
        for field_name, value in place.items():
            setattr(group, field_name, value)
        await group.save(update_fields=["name", "summary", "rules", "join_policy", "posting_mode", *place, "updated_at"])
        await events.record("group.updated", group, by=by.uri if by else None)
    return group


async def check_settings(
    group: Group, *, language: str | None = None, time_zone: str | None = None, city: str | None = None,
    country: str | None = None,
) -> dict[str, str]:
    """The checked values of the settings given (None: unchanged); InvalidInput saying what is accepted."""
    changes: dict[str, str] = {}
    checks = (("language", language, check_language), ("time_zone", time_zone, check_zone),
              ("country", country, lambda value: check_country(value) if value.strip() else ""), ("city", city, check_city))
    for field_name, value, check in checks:
        if value is None:
            continue
        try:
            changes[field_name] = check(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=field_name) from None
    if changes.get("city") and not changes.get("country", group.country):
        raise InvalidInput("give the city's country too (its two-letter ISO code)", field="country")
    return changes


async def update_settings(
    group: Group, *, by: Account | None, language: str | None = None, time_zone: str | None = None,
    city: str | None = None, country: str | None = None,
) -> Group:
    """Change only the group's language, time zone, city or country (those given); the profile goes out as an Update."""
    await require_role(group, by, ORGANISER_ROLES)
    changes = await check_settings(group, language=language, time_zone=time_zone, city=city, country=country)
    async with in_transaction():
        for field_name, value in changes.items():
            setattr(group, field_name, value)
        await group.save(update_fields=[*changes, "updated_at"])
        await events.record("group.updated", group, by=by.uri if by else None)
    return group


async def set_icon(group: Group, icon_path: str | None, *, by: Account | None) -> str | None:
    """Point the group's avatar at a stored file (or none); returns the previous file name, now unused."""
    return await _set_file(group, "icon_path", icon_path, by)


async def set_image(group: Group, kind: str, path: str | None, *, by: Account | None) -> str | None:
    """Point the group's ``avatar`` or ``header`` image at a stored file (or none); returns the previous file name, now unused."""
    if kind not in IMAGE_FIELDS:
        raise InvalidInput(f"a group has an avatar and a header image, not {kind[:20]!r}")
    return await _set_file(group, IMAGE_FIELDS[kind], path, by)


IMAGE_FIELDS = {"avatar": "icon_path", "header": "header_path"}
"""The group's image kinds and the field that names each one's stored file."""


async def _set_file(group: Group, field_name: str, path: str | None, by: Account | None) -> str | None:
    await require_role(group, by, ORGANISER_ROLES)
    previous = getattr(group, field_name)
    async with in_transaction():
        setattr(group, field_name, path)
        await group.save(update_fields=[field_name, "updated_at"])
        await events.record("group.updated", group, by=by.uri if by else None)
    return previous


async def clean_stored_avatars(data_dir: Path) -> tuple[int, int]:
    """Re-encode every group's stored avatar through :func:`hub.services.media.store_avatar`.

    Avatars uploaded before uploads were cleaned kept their EXIF (GPS positions included). Each one
    is replaced by a cleaned copy under a new name (the actor's Update tells peers); a file that is no
    longer a readable image is dropped. Returns (re-encoded, dropped). Run once: ``hub media clean``.
    """
    cleaned = dropped = 0
    for group in await Group.filter(icon_path__isnull=False).order_by("id"):
        path = media.media_dir(data_dir) / group.icon_path
        try:
            with path.open("rb") as handle:
                name = media.store_avatar(data_dir, handle.read(media.AVATAR_MAX_BYTES + 1))
        except (OSError, ImageRejected):
            name = None
        previous = await set_icon(group, name, by=None)
        media.discard(data_dir, previous)
        cleaned, dropped = (cleaned + 1, dropped) if name else (cleaned, dropped + 1)
    return cleaned, dropped
