"""`hub migrate` says what it did, and every command refuses an unmigrated or unreachable database with a message a person can act on.

The commands run as subprocesses (``python -m hub``), as an operator runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from hub.migrations import alembic_config, revision_graph, sqlalchemy_url, upgrade
from tests.support.processes import free_port, run_hub

ROOT = Path(__file__).resolve().parents[2]

COMMANDS_USING_THE_DATABASE = [
    ["group", "list"],
    ["group", "create", "aid", "--name", "Mutual Aid"],
    ["member", "list", "aid"],
    ["deliveries"],
    ["campaign", "list", "aid"],
    ["board", "list", "aid"],
    ["worker"],
    ["serve", "--port", "PORT"],
]
"""A command of each family, the long-running ones included (they must refuse before serving anything)."""


def applied(url: str) -> set[str]:
    """The revisions recorded in a database's alembic_version table."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()


def test_revision_graph_agrees_with_alembic() -> None:
    """The revisions and heads read from the files as text are the ones alembic itself finds."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known, heads = revision_graph()
    assert heads == frozenset(script.get_heads())
    assert known == frozenset(rev.revision for rev in script.walk_revisions())


def test_migrate_on_a_new_database_says_what_it_created(fresh_database_url, tmp_path: Path) -> None:
    """`hub migrate` on an empty database names the revision, the number of tables and where; run again it says it is current."""
    url = fresh_database_url(migrated=False)
    _, heads = revision_graph()
    first = run_hub(["migrate"], env={"HUB_DATABASE_URL": url}, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created the Causeway schema" in first.stdout
    assert all(head in first.stdout for head in heads)
    assert " tables)" in first.stdout and ("SQLite file" in first.stdout or "PostgreSQL database" in first.stdout)
    assert applied(url) == set(heads)
    again = run_hub(["migrate"], env={"HUB_DATABASE_URL": url}, cwd=tmp_path)
    assert again.returncode == 0 and "database is at the latest schema" in again.stdout


def test_migrate_from_an_older_revision_says_it_upgraded(fresh_database_url, tmp_path: Path) -> None:
    """A database at the first revision is upgraded, and the message names both revisions."""
    url = fresh_database_url(migrated=False)
    upgrade(url, "0001")
    result = run_hub(["migrate"], env={"HUB_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "upgraded" in result.stdout and "from revision 0001 to" in result.stdout


@pytest.mark.parametrize("command", COMMANDS_USING_THE_DATABASE, ids=" ".join)
def test_an_unmigrated_database_asks_for_hub_migrate(command: list[str], fresh_database_url, tmp_path: Path) -> None:
    """Every command (serve and worker too) on an existing but empty database says to run `hub migrate`, exit 1, no "no such table"."""
    url = fresh_database_url(migrated=False)
    result = run_hub(command, env={"HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "run `hub migrate`" in result.stderr
    assert "no such table" not in result.stderr.lower() and "does not exist" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["group", "list"], ["serve", "--port", "PORT"]], ids=" ".join)
def test_a_database_at_an_older_revision_asks_for_hub_migrate(command: list[str], fresh_database_url, tmp_path: Path) -> None:
    """A database left at an older revision is refused with both revisions named and `hub migrate` as the fix."""
    url = fresh_database_url(migrated=False)
    upgrade(url, "0001")
    result = run_hub(command, env={"HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)
    assert result.returncode == 1
    assert "revision 0001" in result.stderr and "run `hub migrate`" in result.stderr


def test_a_database_from_a_newer_version_is_not_migrated_down(tmp_path: Path) -> None:
    """A database at a revision this code does not know says to upgrade Causeway, not to run `hub migrate`."""
    url = f"sqlite://{tmp_path}/hub.sqlite3"
    upgrade(url)
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = run_hub(["group", "list"], env={"HUB_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1
    assert "9999" in result.stderr and "upgrade Causeway" in result.stderr


def test_a_missing_sqlite_file_is_not_created_by_other_commands(tmp_path: Path) -> None:
    """`hub group list` where there is no database names the file and `hub migrate`, and leaves no empty file behind."""
    result = run_hub(["group", "list"], env={"HUB_DATA_DIR": str(tmp_path / "elsewhere")}, cwd=tmp_path)
    assert result.returncode == 1
    assert str(tmp_path / "elsewhere" / "hub.sqlite3") in result.stderr and "run `hub migrate`" in result.stderr
    assert not (tmp_path / "elsewhere" / "hub.sqlite3").exists()


def test_data_dir_holds_the_database_whatever_the_working_directory(tmp_path: Path) -> None:
    """With HUB_DATA_DIR set, `hub migrate` and later commands run from other directories use the one file in it."""
    data = tmp_path / "data"
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    env = {"HUB_DATA_DIR": str(data)}
    assert run_hub(["migrate"], env=env, cwd=tmp_path / "one").returncode == 0
    created = run_hub(["group", "create", "aid", "--name", "Mutual Aid"], env=env, cwd=tmp_path / "two")
    assert created.returncode == 0, created.stderr
    listed = run_hub(["group", "list"], env=env, cwd=tmp_path)
    assert "@aid@" in listed.stdout
    assert (data / "hub.sqlite3").exists()
    assert not (tmp_path / "one" / "data").exists() and not (tmp_path / "two" / "data").exists()


@pytest.mark.parametrize("command", [["migrate"], ["group", "list"], ["worker"], ["serve", "--port", "PORT"]], ids=" ".join)
def test_an_unreachable_postgresql_names_host_port_and_setting(command: list[str], tmp_path: Path) -> None:
    """Nothing listens on the port: the message names the host, the port and HUB_DATABASE_URL (never the password), exit 1."""
    port = free_port()
    url = f"postgres://causeway:s3cret@127.0.0.1:{port}/causeway"
    result = run_hub(command, env={"HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "HUB_DATABASE_URL" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
