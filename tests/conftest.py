"""Shared database fixtures: a fresh alembic-migrated database per test on the run's backend.

Backend: ``HUB_TEST_DATABASE=sqlite`` (default) or ``postgres`` (admin URL ``HUB_TEST_POSTGRES_URL``,
default ``postgres://root@127.0.0.1:5432/test``). An unreachable PostgreSQL skips the tests that
need a database, or fails them when ``HUB_TEST_REQUIRE_POSTGRES=1``. How databases are made,
reused and dropped is in tests/dbsupport.py (``HUB_TEST_POSTGRES_REUSE=0``: drop every one).

Fixtures:

- ``database_url``: URL of a fresh, migrated, empty database (function scope).
- ``db``: tortoise connected to ``database_url`` for the test (async); yields the TortoiseContext.
- ``fresh_database_url``: a callable ``(migrated=True) -> url`` making more databases, released at teardown.
- ``database_backend``: ``"sqlite"`` or ``"postgres"``.
- ``reuse_rsa_key_pair``: new groups get one RSA key pair made once per session (2048-bit key
  generation is the slowest step of most service tests); use it where keys do not matter.

Every test that uses one of the database fixtures is marked ``db`` automatically, so ``-m db``
selects it even where the module forgot ``pytestmark = pytest.mark.db``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

import hub.db
import hub.services.groups
from hub.keys import generate_rsa_keypair
from tests import dbsupport

DB_FIXTURES = {"database_url", "db", "fresh_database_url", "_databases"}


def pytest_configure(config: pytest.Config) -> None:
    """Reject a bad HUB_TEST_DATABASE before any test runs."""
    try:
        dbsupport.backend()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that asks for a database fixture with ``db``."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which database backend the run uses."""
    name = dbsupport.backend()
    return f"database backend: {name}" + (f" ({dbsupport.postgres_admin_url()})" if name == "postgres" else "")


@pytest.fixture(scope="session")
def database_backend() -> str:
    """The backend of this run: ``sqlite`` or ``postgres``."""
    return dbsupport.backend()


@functools.cache
def _session_key_pair() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture
def reuse_rsa_key_pair(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Groups created during the test share one (private PEM, public PEM) pair, returned here."""
    monkeypatch.setattr(hub.services.groups, "generate_rsa_keypair", _session_key_pair)
    return _session_key_pair()


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dbsupport.SqliteDatabases | dbsupport.PostgresDatabases]:
    """The session's database maker; skips (or fails, if required) when PostgreSQL is unreachable."""
    try:
        databases = dbsupport.open_databases(tmp_path_factory.mktemp("db-template"))
    except dbsupport.BackendUnavailable as exc:
        if dbsupport.postgres_required():
            pytest.fail(f"{exc} (HUB_TEST_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(f"{exc}; set HUB_TEST_POSTGRES_URL or run with HUB_TEST_DATABASE=sqlite")
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def fresh_database_url(_databases, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """A factory: ``fresh_database_url(migrated=True)`` returns the URL of one more new database.

    ``migrated=False`` gives an empty database (no tables, no alembic_version). All are released at teardown.
    """
    made: list[str] = []
    counter = itertools.count()

    def make(*, migrated: bool = True) -> str:
        url = _databases.create(tmp_path / "databases", f"db{next(counter)}", migrated=migrated)
        made.append(url)
        return url

    yield make
    for url in made:
        _databases.release(url)


@pytest.fixture
def database_url(fresh_database_url: Callable[..., str]) -> str:
    """The URL of a fresh, alembic-migrated, empty database for this test."""
    return fresh_database_url()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[TortoiseContext]:
    """Tortoise connected to ``database_url`` for the duration of the test (global fallback on)."""
    context = await hub.db.connect(database_url)
    try:
        yield context
    finally:
        await hub.db.disconnect()
