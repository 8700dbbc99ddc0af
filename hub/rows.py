"""Model objects from hand-written SQL, for the reads every signed-in request makes.

The ORM builds each statement anew: for a ``select_related`` query pypika spends ~0.3 ms of CPU
composing the SQL, more than the database takes to answer it (bench/RESULTS.md, issue 20.3). The
few reads on every signed-in page (the session with its account, the membership, the group by
slug, a thread's post, the member's home) are written by their services once as SQL with ``?`` marks and turned into the same model objects the
ORM would return (``Model._init_from_db``, related objects attached as ``select_related`` does), so
callers cannot tell the difference. Anything else goes through the ORM.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from datetime import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise import connections, fields
from tortoise.models import Model

M = TypeVar("M", bound=Model)
_MARK = re.compile(r"\?")


def columns(model: type[Model], alias: str) -> str:
    """The select list of every column of ``model``'s table under ``alias``, each named ``alias__column``.

    Only once the ORM is initialised (the foreign keys' columns are added then): statements are built
    by :func:`statement` functions, on first use.
    """
    return ", ".join(f'{alias}."{column}" AS "{alias}__{column}"' for column in _columns(model))


def returned_columns(model: type[Model], alias: str) -> str:
    """As :func:`columns`, the columns unqualified: for a RETURNING clause, where SQLite takes no table alias."""
    return ", ".join(f'"{column}" AS "{alias}__{column}"' for column in _columns(model))


def _columns(model: type[Model]) -> Iterable[str]:
    return model._meta.fields_db_projection.values()


def statement(build: Callable[[], str]) -> Callable[[], str]:
    """A function returning SQL that uses :func:`columns`, made once on its first call (after the ORM's set-up)."""
    return functools.cache(build)


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """``sql`` with its ``?`` marks as PostgreSQL's ``$1``, ``$2``… (the statements hold no literal ``?``)."""
    number = itertools.count(1)
    return _MARK.sub(lambda _: f"${next(number)}", sql)


def on_postgres() -> bool:
    """Whether the hub's database (or the transaction in progress) is PostgreSQL, for the SQL only it takes."""
    return connections.get("default").capabilities.dialect == "postgres"


def _prepared(sql: str) -> tuple[Any, str]:
    """The hub's connection (or the transaction in progress) and ``sql`` with its marks as that database takes them."""
    connection = connections.get("default")
    return connection, _numbered(sql) if connection.capabilities.dialect == "postgres" else sql


async def select(sql: str, values: Sequence[Any]) -> list[Mapping[str, Any]]:
    """Run a SELECT written with ``?`` marks on the hub's database; its rows."""
    connection, sql = _prepared(sql)
    _, rows = await connection.execute_query(sql, list(values))
    return rows


async def write(sql: str, values: Sequence[Any]) -> int:
    """Run an UPDATE, INSERT or DELETE written with ``?`` marks; how many rows it changed."""
    connection, sql = _prepared(sql)
    changed, _ = await connection.execute_query(sql, list(values))
    return changed


async def returning(sql: str, values: Sequence[Any]) -> list[Mapping[str, Any]]:
    """Run an UPDATE, INSERT or DELETE with a RETURNING clause, written with ``?`` marks; the rows it returns.

    (Tortoise's ``execute_query`` drops the rows of a writing statement on PostgreSQL.)
    """
    connection, sql = _prepared(sql)
    return await connection.execute_query_dict(sql, list(values))


def marks(count: int) -> str:
    """``?, ?, …``: ``count`` marks, for an ``IN (…)`` list."""
    return ", ".join("?" * count)


def stored(model: type[Model], field: str, value: Any) -> Any:
    """``value`` of ``model``'s ``field`` as the ORM's own filters pass it to the database (SQLite keeps times as text)."""
    return model._meta.fields_map[field].to_db_value(value, model)


def build(model: type[M], row: Mapping[str, Any], alias: str) -> M:
    """The ``model`` object of ``row``'s columns selected by :func:`columns` under ``alias``.

    SQLite returns times as the ISO text the ORM wrote; they are read with ``datetime.fromisoformat``
    (in C) before the ORM's own conversion, which parses text with a pure-Python parser: ~10 µs a
    time, four times per delivery a fan-out claims (bench/RESULTS.md, issue 20.4).
    """
    values = {column: row[f"{alias}__{column}"] for column in _columns(model)}
    for column in _time_columns(model):
        values[column] = _read_time(values[column])
    return model._init_from_db(**values)


def _read_time(value: Any) -> Any:
    """ISO text as a datetime; anything else (a driver's datetime, NULL, other text) as it is, for the ORM's conversion."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return value


@functools.cache
def _time_columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(column for name, column in model._meta.fields_db_projection.items()
                 if isinstance(model._meta.fields_map[name], fields.DatetimeField))


def attach(instance: Model, relation: str, related: Model | None) -> None:
    """Make ``related`` the loaded value of ``instance``'s foreign key ``relation`` (as ``select_related`` does)."""
    object.__setattr__(instance, f"_{relation}", related)
