"""Schema drift: the alembic revisions must build exactly the schema tortoise derives from hub.models.

Both schemas are read back with SQLAlchemy's inspector and reduced to what matters to the ORM:
tables, columns and their nullability, unique column sets, other indexes by columns, primary keys
and foreign keys (columns, target, ON DELETE). Names of indexes and constraints and column types
are ignored (alembic and tortoise spell them differently), and so is alembic's own table.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from tortoise.models import Model

import hub.models

from hub.migrations import alembic_config, downgrade, sqlalchemy_url, upgrade

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
IGNORED_TABLES = {"alembic_version"}

# Tortoise keeps one ORM configuration per process, so its schema is generated in a child process.
GENERATE_MODEL_SCHEMA = """
import asyncio, sys
from tortoise import Tortoise
from hub.db import tortoise_config

async def main(url):
    await Tortoise.init(config=tortoise_config(url))
    try:
        await Tortoise.generate_schemas(safe=False)
    finally:
        await Tortoise.close_connections()

asyncio.run(main(sys.argv[1]))
"""

ForeignKey = tuple[tuple[str, ...], str, tuple[str, ...], str]


@dataclass
class TableShape:
    """What the ORM depends on in one table."""

    columns: dict[str, bool] = field(default_factory=dict)
    """Column name -> nullable."""
    primary_key: tuple[str, ...] = ()
    """Primary key columns."""
    uniques: set[tuple[str, ...]] = field(default_factory=set)
    """Column tuples under a unique constraint, unique index or column-level UNIQUE (not the primary key)."""
    indexes: set[tuple[str, ...]] = field(default_factory=set)
    """Column tuples of non-unique indexes."""
    foreign_keys: set[ForeignKey] = field(default_factory=set)
    """(columns, referred table, referred columns, ON DELETE upper-cased)."""


def snapshot(database_url: str) -> dict[str, TableShape]:
    """Read the shape of every table (but alembic_version) of a database."""
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            is_sqlite = conn.dialect.name == "sqlite"
            tables = {}
            for name in inspector.get_table_names():
                if name not in IGNORED_TABLES:
                    tables[name] = _table_shape(conn, inspector, name, is_sqlite)
            return tables
    finally:
        engine.dispose()


def _table_shape(conn: sa.Connection, inspector: sa.Inspector, table: str, is_sqlite: bool) -> TableShape:
    shape = TableShape()
    shape.columns = {col["name"]: bool(col["nullable"]) for col in inspector.get_columns(table)}
    shape.primary_key = tuple(inspector.get_pk_constraint(table)["constrained_columns"])
    # SQLite: SQLAlchemy does not parse inline UNIQUE from the table SQL; its auto-indexes show them.
    index_kw = {"include_auto_indexes": True} if is_sqlite else {}
    for index in inspector.get_indexes(table, **index_kw):
        columns = tuple(index["column_names"])
        (shape.uniques if index["unique"] else shape.indexes).add(columns)
    shape.uniques |= {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
    shape.uniques.discard(shape.primary_key)
    # SQLite: SQLAlchemy does not parse inline REFERENCES ... ON DELETE; the pragma knows it.
    pragma_ondelete = {}
    if is_sqlite:
        for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
            pragma_ondelete[(row[2], row[3])] = row[6]
    for fk in inspector.get_foreign_keys(table):
        columns = tuple(fk["constrained_columns"])
        ondelete = fk["options"].get("ondelete") or pragma_ondelete.get((fk["referred_table"], columns[0]))
        shape.foreign_keys.add(
            (columns, fk["referred_table"], tuple(fk["referred_columns"]), (ondelete or "NO ACTION").upper())
        )
    return shape


def _cols(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(columns) + ")"


def compare(left: dict[str, TableShape], right: dict[str, TableShape], names: tuple[str, str] = ("alembic", "models")) -> list[str]:
    """Every difference between two snapshots, one readable line each, sorted."""
    lname, rname = names
    out = []
    for table in sorted(set(left) | set(right)):
        if table not in right or table not in left:
            out.append(f"table {table}: only in {lname if table in left else rname}")
            continue
        a, b = left[table], right[table]
        for column in sorted(set(a.columns) | set(b.columns)):
            if column not in a.columns or column not in b.columns:
                out.append(f"{table}.{column}: column only in {lname if column in a.columns else rname}")
            elif a.columns[column] != b.columns[column]:
                def says(nullable: bool) -> str:
                    return "nullable" if nullable else "NOT NULL"
                out.append(f"{table}.{column}: {says(a.columns[column])} in {lname}, {says(b.columns[column])} in {rname}")
        if a.primary_key != b.primary_key:
            out.append(f"{table}: primary key {_cols(a.primary_key)} in {lname}, {_cols(b.primary_key)} in {rname}")
        for what, mine, theirs in (("unique", a.uniques, b.uniques), ("index", a.indexes, b.indexes)):
            out += [f"{table}: {what} {_cols(c)} only in {lname}" for c in mine - theirs]
            out += [f"{table}: {what} {_cols(c)} only in {rname}" for c in theirs - mine]
        for fks, where in ((a.foreign_keys - b.foreign_keys, lname), (b.foreign_keys - a.foreign_keys, rname)):
            for cols, target, target_cols, ondelete in fks:
                out.append(f"{table}: foreign key {_cols(cols)} -> {target}{_cols(target_cols)} ON DELETE {ondelete} only in {where}")
    return sorted(out)


@pytest.fixture(scope="module")
def model_schema(_databases, tmp_path_factory: pytest.TempPathFactory) -> dict[str, TableShape]:
    """The schema tortoise's generate_schemas builds for hub.models, on this run's backend."""
    url = _databases.create(tmp_path_factory.mktemp("models"), "models", migrated=False)
    try:
        result = subprocess.run(
            [sys.executable, "-c", GENERATE_MODEL_SCHEMA, url], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"tortoise generate_schemas failed:\n{result.stderr}"
        return snapshot(url)
    finally:
        _databases.release(url)


def test_migrations_match_models(database_url: str, model_schema: dict[str, TableShape]) -> None:
    """alembic upgrade head builds the same tables, columns, uniques, indexes and foreign keys as hub.models."""
    differences = compare(snapshot(database_url), model_schema)
    assert not differences, "alembic revisions and hub.models differ:\n" + "\n".join(differences)


def test_model_schema_covers_every_model(model_schema: dict[str, TableShape]) -> None:
    """The comparison is not vacuous: every model in hub.models has its table in the generated schema."""
    tables = {
        model._meta.db_table
        for model in vars(hub.models).values()
        if isinstance(model, type) and issubclass(model, Model) and not model._meta.abstract
    }
    assert {"groups", "memberships", "posts", "deliveries"} <= tables
    assert set(model_schema) == tables
    assert ("group_id", "account_id") in model_schema["memberships"].uniques
    assert (("group_id",), "groups", ("id",), "CASCADE") in model_schema["posts"].foreign_keys


def test_downgrade_base_then_upgrade_again(database_url: str) -> None:
    """downgrade base leaves only alembic_version, and upgrading again rebuilds the same schema."""
    # Given a database at head
    head = snapshot(database_url)
    # When every revision is reverted
    downgrade(database_url, "base")
    # Then no table but alembic_version is left
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    # And upgrading again gives the same schema
    upgrade(database_url)
    assert compare(snapshot(database_url), head) == []


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_gets_an_empty_database_at_head(database_url: str, turn: str) -> None:
    """database_url is at alembic head with every table empty and ids starting at 1, whatever the previous test wrote."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
            for table in sa.inspect(conn).get_table_names():
                if table not in IGNORED_TABLES:
                    assert conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() == 0, table
            # Leave rows behind for the next test to not see.
            inserted = conn.execute(
                sa.text("INSERT INTO peers (host, blocked, consecutive_failures) VALUES (:host, false, 0) RETURNING id"),
                {"host": f"{turn}.example"},
            ).scalar()
            assert inserted == 1
    finally:
        engine.dispose()


def test_comparator_reports_deliberate_drift(database_url: str, model_schema: dict[str, TableShape]) -> None:
    """Extra DDL after upgrade head (add column, drop index, relax NOT NULL, drop unique) is reported exactly."""
    # Given a migrated database changed behind the models' back
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            ops = Operations(MigrationContext.configure(conn))
            ops.add_column("peers", sa.Column("notes", sa.Text()))
            ops.drop_index("ix_posts_thread_uri", table_name="posts")
            with ops.batch_alter_table("groups") as batch:
                batch.alter_column("name", existing_type=sa.String(200), nullable=True)
            with ops.batch_alter_table("memberships") as batch:
                batch.drop_constraint("uq_memberships_group_account", type_="unique")
    finally:
        engine.dispose()
    # When it is compared with the models' schema
    differences = compare(snapshot(database_url), model_schema)
    # Then exactly those four changes are reported
    assert differences == sorted([
        "peers.notes: column only in alembic",
        "posts: index (thread_uri) only in models",
        "groups.name: nullable in alembic, NOT NULL in models",
        "memberships: unique (group_id, account_id) only in models",
    ])


def test_comparator_reports_missing_tables_and_foreign_keys() -> None:
    """Tables, primary keys and foreign keys (including ON DELETE) present on one side only are reported."""
    fk: ForeignKey = (("group_id",), "groups", ("id",), "CASCADE")
    left = {"posts": TableShape(columns={"id": False}, primary_key=("id",), foreign_keys={fk})}
    right = {
        "posts": TableShape(columns={"id": False}, primary_key=("id",), foreign_keys={fk[:3] + ("NO ACTION",)}),
        "extra": TableShape(),
    }
    assert compare(left, right) == [
        "posts: foreign key (group_id) -> groups(id) ON DELETE CASCADE only in alembic",
        "posts: foreign key (group_id) -> groups(id) ON DELETE NO ACTION only in models",
        "table extra: only in models",
    ]

