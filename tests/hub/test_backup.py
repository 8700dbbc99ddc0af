"""``hub backup`` and ``hub restore`` through the command line, on the run's database backend.

The round trip brings back the same groups, keys, media and secret; every refusal (non-empty
target, truncated or tampered archive, a newer schema, unsafe member names, an existing output
file) exits 1 with a message and leaves the target as it was.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from hub.backup import MANIFEST, SQLITE_MEMBER, pg_environment
from hub.sealed_archive import sha256_file
from hub.restore import known_revisions
from hub.secret import load_or_create_secret
from tests.integration.hubs import Hub, make_hub

pytestmark = pytest.mark.db


@pytest.fixture
def source(fresh_database_url, tmp_path: Path) -> Hub:
    """A migrated hub (not serving) with a group, a call with an image, and its secret key."""
    hub = make_hub(fresh_database_url(), tmp_path / "source")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    Image.new("RGB", (64, 48), "teal").save(tmp_path / "flyer.png")
    hub.cli("call", "create", "climate", "--what", "Flyers", "--needed", "3", "--image", str(tmp_path / "flyer.png"),
            "--alt", "A stack of flyers")
    load_or_create_secret(hub.data_dir)
    return hub


@pytest.fixture
def target(fresh_database_url, tmp_path: Path, source: Hub) -> Hub:
    """An empty hub (empty database, no data directory) with the source's domain, to restore into."""
    env = {**source.env, "HUB_DATABASE_URL": fresh_database_url(migrated=False), "HUB_DATA_DIR": str(tmp_path / "target")}
    if env["HUB_DATABASE_URL"].startswith("sqlite://"):
        env["HUB_DATABASE_URL"] = f"sqlite://{tmp_path / 'target' / 'hub.sqlite3'}"
    return Hub(port=source.port, env=env, data_dir=tmp_path / "target")


def tables(hub: Hub) -> list[str]:
    """The tables of a hub's database (none for a database never migrated or restored)."""
    url = hub.env["HUB_DATABASE_URL"]
    if url.startswith("sqlite://"):
        if not Path(url[len("sqlite://"):]).exists():
            return []
        return [r["name"] for r in hub.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [r["table_name"] for r in hub.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]


def assert_untouched(hub: Hub, listing: list[str] | None = None) -> None:
    """The target still has an empty database and its data directory holds what it held."""
    assert tables(hub) == []
    found = sorted(p.name for p in hub.data_dir.iterdir()) if hub.data_dir.exists() else None
    assert found == listing


def rewrite(archive: Path, out: Path, change) -> Path:
    """Copy an archive member by member through ``change(name, data) -> (name, data) | None``."""
    with tarfile.open(archive, "r:gz") as tar, tarfile.open(out, "w:gz") as new:
        for member in tar:
            changed = change(member.name, tar.extractfile(member).read())
            if changed is not None:
                info = tarfile.TarInfo(changed[0])
                info.size = len(changed[1])
                new.addfile(info, io.BytesIO(changed[1]))
    return out


def test_round_trip_brings_back_groups_keys_media_and_secret(source: Hub, target: Hub, tmp_path: Path) -> None:
    """Backed up and restored into an empty place: the same group key pair, the same image bytes, the same secret."""
    archive = tmp_path / "backup.tar.gz"
    made = source.cli("backup", str(archive))
    assert "1 groups, 1 media files, the secret key" in made.stdout
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("*.partial"))
    restored = target.cli("restore", str(archive))
    assert "1 groups, 1 media files" in restored.stdout and restored.stderr == ""
    query = "SELECT slug, private_key_pem, public_key_pem FROM groups ORDER BY slug"
    assert target.query(query) == source.query(query)
    image = source.query("SELECT name FROM media_files")[0]["name"]
    assert (target.data_dir / "media" / image).read_bytes() == (source.data_dir / "media" / image).read_bytes()
    assert (target.data_dir / "secret.key").read_bytes() == (source.data_dir / "secret.key").read_bytes()
    assert oct((target.data_dir / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in target.data_dir.iterdir() if p.name.startswith(".")] == []
    assert target.cli("group", "list").stdout == source.cli("group", "list").stdout


def test_restore_refuses_a_non_empty_data_directory(source: Hub, target: Hub, tmp_path: Path) -> None:
    """A data directory with anything in it is refused by name; nothing is written."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    target.data_dir.mkdir()
    (target.data_dir / "notes.txt").write_text("mine")
    result = target.cli("restore", str(archive), check=False)
    assert result.returncode == 1 and "is not empty (notes.txt)" in result.stderr
    assert_untouched(target, ["notes.txt"])


def test_restore_refuses_a_database_with_tables(source: Hub, tmp_path: Path) -> None:
    """Restoring over a hub's own database is refused: it has tables."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    other = Hub(port=source.port, env={**source.env, "HUB_DATA_DIR": str(tmp_path / "empty")}, data_dir=tmp_path / "empty")
    result = other.cli("restore", str(archive), check=False)
    assert result.returncode == 1 and ("already has tables" in result.stderr or "already exists" in result.stderr)
    assert source.query("SELECT COUNT(*) AS n FROM groups")[0]["n"] == 1 and not other.data_dir.exists()


@pytest.mark.parametrize("keep", [0.5, 0.9, -64])
def test_restore_refuses_a_truncated_archive(source: Hub, target: Hub, tmp_path: Path, keep: float) -> None:
    """An archive cut short (half, most, all but the last bytes) is refused; the target stays empty."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:int(keep)])
    result = target.cli("restore", str(cut), check=False)
    assert result.returncode == 1 and ("not a complete backup" in result.stderr or "no manifest" in result.stderr), result.stderr
    assert_untouched(target)


def test_restore_refuses_an_archive_from_a_newer_schema(source: Hub, target: Hub, tmp_path: Path) -> None:
    """A manifest naming a schema revision this Causeway does not know: refused, saying to install a newer Causeway."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    assert "9999" not in known_revisions()

    def newer(name: str, data: bytes):
        if name != MANIFEST:
            return name, data
        manifest = json.loads(data)
        manifest["schema_revision"] = "9999"
        return name, json.dumps(manifest).encode()

    result = target.cli("restore", str(rewrite(archive, tmp_path / "newer.tar.gz", newer)), check=False)
    assert result.returncode == 1 and "schema (9999) is newer than this Causeway knows" in result.stderr
    assert_untouched(target)


@pytest.mark.parametrize(("change", "message"), [
    (lambda name, data: (name, data + b"x") if name.startswith("media/") else (name, data), "does not match its manifest"),
    (lambda name, data: None if name.startswith("media/") else (name, data), "does not match its manifest"),
    (lambda name, data: ("../evil", data) if name.startswith("media/") else (name, data), "which no Causeway backup holds"),
    (lambda name, data: ("media/notes.json", data) if name.startswith("media/") else (name, data), "which no Causeway backup holds"),
])
def test_restore_refuses_tampered_archives(source: Hub, target: Hub, tmp_path: Path, change, message: str) -> None:
    """A changed or missing file, a path outside the data directory, a name we never write: refused, nothing written."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    result = target.cli("restore", str(rewrite(archive, tmp_path / "bad.tar.gz", change)), check=False)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert_untouched(target)
    assert not (tmp_path / "evil").exists()


def test_backup_never_overwrites(source: Hub, tmp_path: Path) -> None:
    """An existing output file is refused and left as it was; a missing folder is named."""
    existing = tmp_path / "exists.tar.gz"
    existing.write_bytes(b"keep me")
    result = source.cli("backup", str(existing), check=False)
    assert result.returncode == 1 and "already exists" in result.stderr and existing.read_bytes() == b"keep me"
    missing = source.cli("backup", str(tmp_path / "nowhere" / "b.tar.gz"), check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_archive_lists_every_file_with_its_checksum(source: Hub, tmp_path: Path) -> None:
    """The manifest comes last and holds the size and SHA-256 of every member."""
    archive = tmp_path / "backup.tar.gz"
    source.cli("backup", str(archive))
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        tar.extractall(tmp_path / "x", filter="data")
    assert names[-1] == MANIFEST and set(manifest["files"]) == set(names[:-1])
    for name, entry in manifest["files"].items():
        assert entry == {"size": (tmp_path / "x" / name).stat().st_size, "sha256": sha256_file(tmp_path / "x" / name)}
    assert manifest["domain"] == source.domain and manifest["groups"] == 1
    assert (SQLITE_MEMBER in names) == source.env["HUB_DATABASE_URL"].startswith("sqlite://")


def test_pg_environment_keeps_the_password_off_the_command_line() -> None:
    """pg_dump/pg_restore get the connection in PG* variables, URL escapes decoded."""
    assert pg_environment("postgres://caus%40way:p%3Ass@db.internal:6543/hub") == {
        "PGHOST": "db.internal", "PGPORT": "6543", "PGDATABASE": "hub", "PGUSER": "caus@way", "PGPASSWORD": "p:ss"}
