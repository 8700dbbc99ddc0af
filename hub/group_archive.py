"""``hub group export`` / ``hub group import``: one group in a portable archive, to move it to another hub.

The archive is a gzip-compressed tar file holding:

- ``group.json`` — the group's profile and key pair, the accounts its rows name (actor ids and
  handles of members, authors, moderators), and its rows table by table (:data:`TABLES`: members
  and their roles, posts, the moderation log, domain blocks, campaigns with their gathered posts,
  calls and sign-ups, needs and offers, alerts, events with their answers, decisions with their
  votes, the library, announcements, organisers' settings), each row with its old id so that the
  rows that point at each other are linked again on import;
- ``media/<name>`` and ``library/<name>`` — the avatar, the images the rows name and the library's PDFs;
- ``manifest.json`` last: format and version, the schema revision of the hub that wrote it, the
  group's actor id (the new hub lists it in ``alsoKnownAs``), the SHA-256 of its public key, and the
  size and SHA-256 of every file.

Import checks everything before it changes anything: the archive reads to its end and matches its
manifest (a truncated or altered archive is refused), its format version and schema revision are
ones this Causeway knows (an archive from a newer Causeway is refused), the private key belongs to
the public key and to the manifest's fingerprint, and the slug is free (a slug in use, or once used
by a deleted group, is refused). Then every row is created in one transaction and the files are put
in place; a failure removes what was placed. Local accounts (administrators' logins) are not moved:
their rows are left out, and nullable links to them are emptied.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from tortoise import fields as tfields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from hub.errors import Conflict, HubError, NotFound
from hub.models import (
    Account, Alert, AlertMute, AlertSubscription, Announcement, BoardItem, CallToAction, Campaign, CampaignPost, Decision,
    DomainBlock, Gathering, Group, LibraryEntry, MediaFile, Membership, ModerationAction, OrganiserSettings, Post, Rsvp, Signup,
    Vote,
)
from hub.sealed_archive import check_files, checked_manifest, read_through, written
from hub.services.groups import check_slug
from hub.services.library import PDF_NAME
from hub.services.media import MEDIA_DIR, NAME_RE

FORMAT = "causeway-group"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "group.json"
LIBRARY_DIR = "library"
ACCOUNTS = "accounts"
MEDIA = "media_files"
GROUP_FIELDS = ("slug", "name", "summary", "rules", "kind", "visibility", "join_policy", "posting_mode", "decisions_by",
                "private_key_pem", "public_key_pem", "language", "time_zone", "city", "country", "icon_path",
                "also_known_as", "created_at")
"""The group's own columns carried over (not its id, its deletion or a move)."""


class ArchiveError(HubError):
    """The archive was refused or could not be written; nothing was changed."""


@dataclass(frozen=True)
class Table:
    """One kind of row moved with the group: how it is found from the group and what its links point at."""

    name: str
    model: type[Model]
    parent: str
    """The filter naming the group (``group``, or ``campaign__group`` for rows below a campaign)."""
    refs: dict[str, str]
    """Each foreign key (other than ``group``) and the table its old ids belong to."""


TABLES: tuple[Table, ...] = (
    Table("posts", Post, "group", {"author": ACCOUNTS, "via": ACCOUNTS}),
    Table("memberships", Membership, "group", {"account": ACCOUNTS}),
    Table("moderation_actions", ModerationAction, "group", {"moderator": ACCOUNTS}),
    Table("domain_blocks", DomainBlock, "group", {}),
    Table("campaigns", Campaign, "group", {}),
    Table("campaign_posts", CampaignPost, "campaign__group", {"campaign": "campaigns", "post": "posts", "author": ACCOUNTS}),
    Table("calls", CallToAction, "group", {"campaign": "campaigns", "image": MEDIA, "created_by": ACCOUNTS}),
    Table("signups", Signup, "call__group", {"call": "calls", "account": ACCOUNTS}),
    Table("board_items", BoardItem, "group", {"campaign": "campaigns", "author": ACCOUNTS, "matched_with": "board_items"}),
    Table("alerts", Alert, "group", {"campaign": "campaigns", "image": MEDIA, "created_by": ACCOUNTS}),
    Table("alert_subscriptions", AlertSubscription, "group", {"account": ACCOUNTS}),
    Table("alert_mutes", AlertMute, "campaign__group", {"campaign": "campaigns", "account": ACCOUNTS}),
    Table("gatherings", Gathering, "group", {"image": MEDIA, "created_by": ACCOUNTS}),
    Table("rsvps", Rsvp, "gathering__group", {"gathering": "gatherings", "account": ACCOUNTS}),
    Table("decisions", Decision, "group", {"created_by": ACCOUNTS}),
    Table("votes", Vote, "decision__group", {"decision": "decisions", "account": ACCOUNTS}),
    Table("library_entries", LibraryEntry, "group", {"image": MEDIA, "created_by": ACCOUNTS}),
    Table("announcements", Announcement, "group", {"created_by": ACCOUNTS}),
    Table("organiser_settings", OrganiserSettings, "group", {"account": ACCOUNTS}),
)
"""What moves with a group, in an order where every row comes after the rows it points at."""


@dataclass(frozen=True)
class Exported:
    """What an archive holds, for the command's last line."""

    slug: str
    origin: str
    rows: dict[str, int]
    files: int


@dataclass(frozen=True)
class Imported:
    """What an import created."""

    group: Group
    origin: str
    rows: dict[str, int]
    skipped: int
    files: int


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(field: tfields.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, tfields.DatetimeField) and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(field, tfields.DateField) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(field, tfields.DecimalField):
        return Decimal(str(value))
    return value


def key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 hex of the public key's DER form (the manifest's ``public_key_sha256``)."""
    key = serialization.load_pem_public_key(public_key_pem.encode())
    return hashlib.sha256(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def check_keys(private_key_pem: str, public_key_pem: str, fingerprint: str | None) -> None:
    """ArchiveError unless the private key, the public key and the manifest's fingerprint belong together."""
    try:
        private = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        derived = key_fingerprint(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        stated = key_fingerprint(public_key_pem)
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"the archive's group key cannot be read ({exc}); it is damaged") from None
    if derived != stated or stated != fingerprint:
        raise ArchiveError("the archive's keys do not match: its private key does not belong to the group's public key "
                           "(or to the key named in its manifest); the group could not sign as itself, so it is not imported")


def _media_names(rows: dict[str, list[dict]]) -> set[int]:
    ids = {row[f"{ref}_id"] for table in TABLES for row in rows[table.name]
           for ref, target in table.refs.items() if target == MEDIA and row.get(f"{ref}_id") is not None}
    ids |= {int(i) for row in rows["announcements"] for i in row.get("media_ids") or [] if str(i).isdigit()}
    return ids


async def collect(group: Group) -> dict[str, Any]:
    """Everything of ``group`` that moves, as plain JSON values (group.json)."""
    rows: dict[str, list[dict]] = {}
    for table in TABLES:
        found = await table.model.filter(**{table.parent: group}).order_by("id").values()
        rows[table.name] = [{k: _plain(v) for k, v in row.items() if k != "group_id"} for row in found]
    account_ids = {row[f"{ref}_id"] for table in TABLES for row in rows[table.name]
                   for ref, target in table.refs.items() if target == ACCOUNTS and row.get(f"{ref}_id") is not None}
    accounts = await Account.filter(id__in=account_ids).order_by("id").values("id", "uri", "is_local", "handle", "display_name")
    media = await MediaFile.filter(id__in=_media_names(rows)).order_by("id").values()
    return {
        "group": {name: _plain(getattr(group, name)) for name in GROUP_FIELDS},
        ACCOUNTS: list(accounts),
        MEDIA: [{k: _plain(v) for k, v in row.items()} for row in media],
        "tables": rows,
    }


async def export_group(group: Group, *, origin: str, schema_revision: str, data_dir: Path, path: Path) -> Exported:
    """Write ``group``'s archive to ``path`` (which must not exist; mode 600: it holds the group's private key)."""
    with written(path, ArchiveError, "archive") as writer:  # refuses an existing path before anything is read
        data = await collect(group)
        files = [(f"{MEDIA_DIR}/{row['name']}", Path(data_dir) / MEDIA_DIR / row["name"]) for row in data[MEDIA]]
        if group.icon_path:
            files.append((f"{MEDIA_DIR}/{group.icon_path}", Path(data_dir) / MEDIA_DIR / group.icon_path))
        files += [(f"{LIBRARY_DIR}/{row['file_name']}", Path(data_dir) / LIBRARY_DIR / row["file_name"])
                  for row in data["tables"]["library_entries"] if row.get("file_name")]
        writer.add_bytes(DATA, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
        for name, source in dict(files).items():
            if source.is_file():  # a file removed since (a replaced avatar) is simply not carried
                writer.add_bytes(name, source.read_bytes())
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "schema_revision": schema_revision, "origin": origin,
            "slug": group.slug, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "public_key_sha256": key_fingerprint(group.public_key_pem), "files": writer.files,
        }
        writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode(), listed=False)
    counts = {name: len(rows) for name, rows in data["tables"].items()}
    return Exported(group.slug, origin, counts, len(writer.files) - 1)


def _allowed(name: str) -> bool:
    if name in (MANIFEST, DATA):
        return True
    folder, _, file = name.partition("/")
    return (folder == MEDIA_DIR and NAME_RE.match(file) is not None) or \
        (folder == LIBRARY_DIR and PDF_NAME.match(file) is not None)


def read_archive(path: Path) -> tuple[dict, dict, dict[str, bytes]]:
    """The manifest, group.json and the files of the archive at ``path``, checked against each other."""
    contents: dict[str, bytes] = {}

    def take(member: tarfile.TarInfo, source: IO[bytes] | None) -> None:
        if source is None or not member.isfile() or not _allowed(member.name) or member.name in contents:
            raise ArchiveError(f"{path} holds {member.name!r}, which no group archive holds; refusing it")
        if member.size > 256 * 1024 * 1024:
            raise ArchiveError(f"{path} holds {member.name!r} of {member.size} bytes, more than a group archive holds")
        contents[member.name] = source.read()

    read_through(path, take, ArchiveError, "group archive")
    manifest = checked_manifest(contents.pop(MANIFEST, None), path, format_name=FORMAT, version=FORMAT_VERSION,
                                error=ArchiveError, what="group archive", advice="import it with the Causeway that wrote it")
    found = {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in contents.items()}
    check_files(manifest, found, path, ArchiveError, "it is truncated or damaged")
    try:
        data = json.loads(contents.pop(DATA))
    except (KeyError, ValueError):
        raise ArchiveError(f"{path} has no readable group.json") from None
    return manifest, data, contents


def check_archive(manifest: dict, data: dict, known_revisions: set[str]) -> None:
    """ArchiveError for an archive from a newer schema or with keys that do not belong together."""
    revision = manifest.get("schema_revision")
    if revision not in known_revisions:
        raise ArchiveError(f"the archive was written by a Causeway with a newer database schema ({revision}); "
                           "upgrade this hub to that version or a newer one, run `hub migrate`, then import it")
    group = data.get("group") if isinstance(data, dict) else None
    if not isinstance(group, dict) or not isinstance(data.get("tables"), dict):
        raise ArchiveError("the archive's group.json is not a group")
    check_keys(str(group.get("private_key_pem", "")), str(group.get("public_key_pem", "")), manifest.get("public_key_sha256"))


async def _accounts(rows: list[dict]) -> dict[int, int | None]:
    mapping: dict[int, int | None] = {}
    for row in rows:
        if row.get("is_local") or not str(row.get("uri", "")).startswith(("http://", "https://")):
            mapping[row["id"]] = None  # a login of the old hub: not moved
            continue
        account, _ = await Account.get_or_create(uri=row["uri"], defaults={"handle": row.get("handle"),
                                                                              "display_name": row.get("display_name")})
        mapping[row["id"]] = account.id
    return mapping


def _build(table: Table, row: dict, ids: dict[str, dict[int, int | None]], group: Group) -> Model | None:
    meta = table.model._meta
    values: dict[str, Any] = {}
    for key, value in row.items():
        if key == "id":
            continue
        ref = key.removesuffix("_id")
        if key.endswith("_id") and ref in table.refs:
            if table.refs[ref] == table.name:
                continue  # a link within the table: set once every row exists
            new = ids[table.refs[ref]].get(value) if value is not None else None
            if new is None and value is not None and not meta.fields_map[ref].null:
                return None  # it points at something that did not move (a local login)
            values[key] = new
        elif key in meta.fields_map:
            values[key] = _typed(meta.fields_map[key], value)
    if table.name == "announcements":
        values["media_ids"] = [ids[MEDIA][int(i)] for i in values.get("media_ids") or [] if ids[MEDIA].get(int(i))]
    return table.model(group_id=group.id, **values) if "group" in meta.fk_fields else table.model(**values)


async def _create_rows(group: Group, data: dict) -> tuple[dict[str, int], int]:
    ids: dict[str, dict[int, int | None]] = {ACCOUNTS: await _accounts(data.get(ACCOUNTS) or [])}
    ids[MEDIA] = {}
    for row in data.get(MEDIA) or []:
        media = await MediaFile.get_or_none(name=row["name"])
        if media is None:
            media = await MediaFile.create(**{k: _typed(MediaFile._meta.fields_map[k], v) for k, v in row.items()
                                              if k != "id" and k in MediaFile._meta.fields_map})
        ids[MEDIA][row["id"]] = media.id
    counts, skipped = {}, 0
    for table in TABLES:
        ids[table.name] = {}
        rows = data["tables"].get(table.name) or []
        for row in rows:
            built = _build(table, row, ids, group)
            if built is None:
                skipped += 1
                continue
            await built.save()
            ids[table.name][row["id"]] = built.id
        for ref, target in table.refs.items():
            if target == table.name:
                for row in rows:
                    if row.get(f"{ref}_id") is not None and ids[table.name].get(row["id"]):
                        await table.model.filter(id=ids[table.name][row["id"]]).update(
                            **{f"{ref}_id": ids[table.name].get(row[f"{ref}_id"])})
        counts[table.name] = len(ids[table.name])
    return counts, skipped


def _place_files(files: dict[str, bytes], data_dir: Path) -> list[Path]:
    placed: list[Path] = []
    try:
        for name, content in files.items():
            target = Path(data_dir) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                continue  # generated names: the same file, already here
            staged = target.with_name(f".{target.name}.importing")
            staged.write_bytes(content)
            os.replace(staged, target)
            placed.append(target)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    return placed


async def _check_unique(data: dict) -> None:
    """Conflict when a row's unique id (an object the group published) is already here: the archive was imported before."""
    for table in TABLES:
        rows = data["tables"].get(table.name) or []
        for name, field in table.model._meta.fields_map.items():
            if not field.unique or field.pk or name in table.model._meta.fk_fields:
                continue
            values = [row[name] for row in rows if row.get(name) is not None]
            if values and await table.model.filter(**{f"{name}__in": values}).exists():
                raise Conflict(f"this hub already holds the {table.name.replace('_', ' ')} of this archive ({name}): the group "
                               "was imported here before; delete that copy first or import the archive on another hub")


async def import_group(path: Path, *, data_dir: Path, known_revisions: set[str], slug: str | None = None) -> Imported:
    """Create the group of the archive at ``path`` on this hub, listing its old actor in ``also_known_as``."""
    manifest, data, files = read_archive(path)
    check_archive(manifest, data, known_revisions)
    profile = data["group"]
    slug = check_slug(slug or str(profile.get("slug", "")))
    if await Group.exists(slug=slug):
        raise Conflict(f"a group with the slug {slug!r} exists on this hub (or existed: a deleted group's slug is never "
                       "given out again); import it under another with --slug NEW_SLUG")
    await _check_unique(data)
    origin = str(manifest.get("origin", ""))
    placed = _place_files(files, data_dir)
    try:
        async with in_transaction():
            values = {k: _typed(Group._meta.fields_map[k], v) for k, v in profile.items() if k in GROUP_FIELDS}
            known = [uri for uri in values.get("also_known_as") or [] if isinstance(uri, str)]
            values.update(slug=slug, also_known_as=[origin, *[uri for uri in known if uri != origin]])
            group = await Group.create(**values)
            counts, skipped = await _create_rows(group, data)
    except BaseException:
        for placed_file in placed:
            placed_file.unlink(missing_ok=True)
        raise
    return Imported(group, origin, counts, skipped, len(files))


async def exported_group(slug: str) -> Group:
    """The group to export: NotFound for an unknown or deleted one."""
    group = await Group.get_or_none(slug=slug, deleted_at__isnull=True)
    if group is None:
        raise NotFound(f"no group {slug!r} on this hub (`hub group list` lists them)")
    return group
