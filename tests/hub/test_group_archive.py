"""``hub group export`` and ``hub group import`` through the command line, on the run's database backend.

The round trip carries the group's profile, key pair, members with their roles, posts, moderation
log, campaign, call (with its image), event, decision and library entry to another hub, which lists
the old actor in ``alsoKnownAs``. Every refusal — a truncated archive, one from a newer schema, keys
that do not match, a slug in use — exits 1 with a message and leaves the importing hub as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from hub.group_archive import DATA, MANIFEST
from hub.keys import generate_rsa_keypair
from hub.migrations import revision_graph
from tests.integration.hubs import Hub, make_hub

pytestmark = pytest.mark.db
MEMBER = "https://social.example/users/alice"
TABLES = ("groups", "memberships", "accounts", "posts", "moderation_actions", "campaigns", "calls", "gatherings", "decisions",
          "library_entries", "media_files")


@pytest.fixture
def source(fresh_database_url, tmp_path: Path) -> Hub:
    """A hub with a group that has a member (a moderator), a post, a campaign, a call with an image, an event,
    a decision and two library entries (a guide and a PDF)."""
    hub = make_hub(fresh_database_url(), tmp_path / "source")
    hub.cli("group", "create", "climate", "--name", "Climate Action", "--summary", "Local climate organising")
    group_id = hub.query("SELECT id FROM groups")[0]["id"]
    hub.query_write("INSERT INTO accounts (uri, is_local, is_admin, handle, created_at) VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)",
                    MEMBER, False, False, "alice@social.example")
    account_id = hub.query("SELECT id FROM accounts WHERE uri = %s", MEMBER)[0]["id"]
    hub.query_write("INSERT INTO memberships (group_id, account_id, state, role, created_at, updated_at) "
                    "VALUES (%s, %s, 'accepted', 'member', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", group_id, account_id)
    hub.query_write(
        "INSERT INTO posts (group_id, author_id, uri, object_type, thread_uri, content_html, visibility, state, pinned, "
        "published_at, activity_json, created_at) VALUES (%s, %s, %s, 'Note', %s, '<p>Hello</p>', 'public', 'published', "
        "%s, CURRENT_TIMESTAMP, '{}', CURRENT_TIMESTAMP)",
        group_id, account_id, f"{MEMBER}/statuses/1", f"{MEMBER}/statuses/1", False)
    hub.cli("member", "role", "climate", "@alice@social.example", "moderator", "--reason", "runs the stalls")
    hub.cli("campaign", "create", "climate", "Flood relief", "--slug", "flood", "--hashtag", "flood2026")
    Image.new("RGB", (64, 48), "teal").save(tmp_path / "flyer.png")
    hub.cli("call", "create", "climate", "--what", "Flyers", "--needed", "3", "--campaign", "flood",
            "--image", str(tmp_path / "flyer.png"), "--alt", "A stack of flyers")
    hub.cli("event", "create", "climate", "--title", "Assembly", "--starts", "2027-03-06T18:00", "--ends", "2027-03-06T20:00",
            "--timezone", "Europe/Lisbon", "--place", "Community hall")
    hub.cli("decision", "open", "climate", "Which march?", "--option", "Saturday", "--option", "Sunday",
            "--closes", "2027-03-01T12:00", "--timezone", "UTC")
    hub.cli("library", "add", "climate", "--title", "Stall guide", "--text", "Bring a table.")
    (tmp_path / "leaflet.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    hub.cli("library", "add", "climate", "--title", "Leaflet", "--file", str(tmp_path / "leaflet.pdf"))
    return hub


@pytest.fixture
def small(fresh_database_url, tmp_path: Path) -> Hub:
    """A hub with a bare group (for the refusals, which need no rows)."""
    hub = make_hub(fresh_database_url(), tmp_path / "small")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    return hub


@pytest.fixture
def target(fresh_database_url, tmp_path: Path) -> Hub:
    """Another hub, empty but migrated, to import into."""
    return make_hub(fresh_database_url(), tmp_path / "target")


def counts(hub: Hub) -> dict[str, int]:
    """Rows per table of a hub's database."""
    return {table: hub.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] for table in TABLES}


def exported(source: Hub, tmp_path: Path) -> Path:
    """The source group's archive."""
    archive = tmp_path / "climate.tar.gz"
    result = source.cli("group", "export", "climate", str(archive))
    assert "exported climate" in result.stdout and oct(archive.stat().st_mode & 0o777) == "0o600"
    return archive


def rewrite(archive: Path, out: Path, change) -> Path:
    """Copy an archive member by member through ``change(name, data) -> (name, data)``."""
    with tarfile.open(archive, "r:gz") as tar, tarfile.open(out, "w:gz") as new:
        for member in tar:
            name, data = change(member.name, tar.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return out


def test_round_trip_carries_the_group_to_another_hub(source: Hub, target: Hub, tmp_path: Path) -> None:
    """Imported elsewhere: same keys and profile, the member still a moderator, every row and the image, alsoKnownAs the old actor."""
    archive = exported(source, tmp_path)
    result = target.cli("group", "import", str(archive))
    assert "imported climate" in result.stdout and "1 membership(s), 1 post(s)" in result.stdout
    query = "SELECT slug, name, summary, private_key_pem, public_key_pem FROM groups"
    assert target.query(query) == source.query(query)
    also = target.query("SELECT also_known_as FROM groups")[0]["also_known_as"]
    assert (json.loads(also) if isinstance(also, str) else also) == [source.group_url("climate")]
    assert target.members("climate")[MEMBER] | {"account": None} == {"account": None, "handle": "alice@social.example",
                                                                     "state": "accepted", "role": "moderator"}
    assert {k: v for k, v in counts(target).items()} == {k: v for k, v in counts(source).items()}
    assert [r["action"] for r in target.query("SELECT action FROM moderation_actions ORDER BY id")] == \
        [r["action"] for r in source.query("SELECT action FROM moderation_actions ORDER BY id")]
    call = target.query("SELECT c.what, m.name FROM calls c JOIN campaigns k ON k.id = c.campaign_id "
                        "JOIN media_files m ON m.id = c.image_id")
    assert call[0]["what"] == "Flyers"
    image = call[0]["name"]
    assert (target.data_dir / "media" / image).read_bytes() == (source.data_dir / "media" / image).read_bytes()
    assert "Assembly" in target.cli("event", "list", "climate").stdout
    assert "Stall guide" in target.cli("library", "list", "climate").stdout
    pdf = target.query("SELECT file_name FROM library_entries WHERE file_name IS NOT NULL")[0]["file_name"]
    assert (target.data_dir / "library" / pdf).read_bytes() == (source.data_dir / "library" / pdf).read_bytes()
    assert "Which march?" in target.cli("decision", "list", "climate").stdout


def test_import_under_another_slug_and_not_twice(source: Hub, target: Hub, tmp_path: Path) -> None:
    """--slug names the group on the new hub; its rows come with it. The same archive again (its published call's id
    is here already) is refused, nothing created."""
    source.query_write("UPDATE calls SET object_uri = %s", f"{source.group_url('climate')}/objects/call/1")
    archive = exported(source, tmp_path)
    target.cli("group", "create", "climate", "--name", "Someone else's")
    target.cli("group", "import", str(archive), "--slug", "climate_lisbon")
    assert target.members("climate_lisbon")[MEMBER]["role"] == "moderator"
    before = counts(target)
    again = target.cli("group", "import", str(archive), "--slug", "climate_porto", check=False)
    assert again.returncode == 1 and "imported here before" in again.stderr, again.stderr
    assert counts(target) == before


@pytest.mark.parametrize("keep", [0.5, 0.9, -32])
def test_import_refuses_a_truncated_archive(small: Hub, target: Hub, tmp_path: Path, keep: float) -> None:
    """An archive cut short is refused (exit 1) and nothing is created."""
    data = exported(small, tmp_path).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:int(keep)])
    before = counts(target)
    result = target.cli("group", "import", str(cut), check=False)
    assert result.returncode == 1
    assert "not a complete group archive" in result.stderr or "no manifest" in result.stderr, result.stderr
    assert counts(target) == before and not (target.data_dir / "media").exists()


def test_import_refuses_an_archive_from_a_newer_schema(small: Hub, target: Hub, tmp_path: Path) -> None:
    """A manifest naming a schema revision this Causeway does not know: refused, saying to upgrade."""
    assert "9999" not in revision_graph()[0]

    def newer(name: str, data: bytes) -> tuple[str, bytes]:
        if name == MANIFEST:
            data = json.dumps({**json.loads(data), "schema_revision": "9999"}).encode()
        return name, data

    archive = rewrite(exported(small, tmp_path), tmp_path / "newer.tar.gz", newer)
    before = counts(target)
    result = target.cli("group", "import", str(archive), check=False)
    assert result.returncode == 1 and "newer database schema (9999)" in result.stderr, result.stderr
    assert counts(target) == before


def test_import_refuses_keys_that_do_not_match(small: Hub, target: Hub, tmp_path: Path) -> None:
    """A private key that is not the group's (the manifest's checksums made to fit): refused, nothing created."""
    other_private, _ = generate_rsa_keypair()
    data_digest: dict[str, str] = {}

    def swap_key(name: str, data: bytes) -> tuple[str, bytes]:
        if name == DATA:
            content = json.loads(data)
            content["group"]["private_key_pem"] = other_private
            data = json.dumps(content).encode()
            data_digest.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        elif name == MANIFEST:
            manifest = json.loads(data)
            manifest["files"][DATA] = {"size": data_digest["size"], "sha256": data_digest["sha256"]}
            data = json.dumps(manifest).encode()
        return name, data

    archive = rewrite(exported(small, tmp_path), tmp_path / "swapped.tar.gz", swap_key)
    before = counts(target)
    result = target.cli("group", "import", str(archive), check=False)
    assert result.returncode == 1 and "keys do not match" in result.stderr, result.stderr
    assert counts(target) == before


def test_import_refuses_an_altered_archive(small: Hub, target: Hub, tmp_path: Path) -> None:
    """group.json changed without its checksum: refused as damaged."""
    def alter(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data.replace(b"Climate Action", b"Climate Actio!") if name == DATA else data

    archive = rewrite(exported(small, tmp_path), tmp_path / "altered.tar.gz", alter)
    result = target.cli("group", "import", str(archive), check=False)
    assert result.returncode == 1 and "does not match its manifest (group.json)" in result.stderr
    assert counts(target)["groups"] == 0


def test_import_refuses_a_slug_that_exists(small: Hub, target: Hub, tmp_path: Path) -> None:
    """Importing over an existing group is refused; the existing group and everything else stay as they were."""
    archive = exported(small, tmp_path)
    target.cli("group", "create", "climate", "--name", "Already here")
    before = counts(target)
    result = target.cli("group", "import", str(archive), check=False)
    assert result.returncode == 1 and "a group with the slug 'climate' exists" in result.stderr and "--slug" in result.stderr
    assert counts(target) == before and target.query("SELECT name FROM groups") == [{"name": "Already here"}]
    assert not (target.data_dir / "media").exists()


def test_export_refuses_an_existing_file_and_an_unknown_group(small: Hub, tmp_path: Path) -> None:
    """Archives are never overwritten; an unknown slug is named."""
    taken = tmp_path / "taken.tar.gz"
    taken.write_bytes(b"mine")
    result = small.cli("group", "export", "climate", str(taken), check=False)
    assert result.returncode == 1 and "already exists" in result.stderr and taken.read_bytes() == b"mine"
    result = small.cli("group", "export", "nosuch", str(tmp_path / "x.tar.gz"), check=False)
    assert result.returncode == 1 and "no group 'nosuch'" in result.stderr
