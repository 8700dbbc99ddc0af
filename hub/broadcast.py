"""Changes made by one process reach the hub's other processes within milliseconds: PostgreSQL's LISTEN/NOTIFY.

:func:`announce` counts a change here and sends ``NOTIFY causeway_changes,
'<topic> <process>'`` on the connection of the change, so the notification leaves at its commit
(and not at all on a rollback). Every ``hub serve`` process runs a :class:`Listener` on its own
connection: each notification from another process counts as a change of that topic here
(hub.changes.note), so the in-memory copies (the blocked domains, the page cache) reread at their
next use.

The listener survives PostgreSQL restarts: when its connection is lost it counts a change of every
topic (a notification may have been missed meanwhile) and reconnects with a growing pause (0.2 s
up to 10 s), never raising into the process. Without a connection the copies fall back to their
own expiry (2 s for the blocked domains, 1 s for pages). SQLite runs one process and needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket

from tortoise import connections
from tortoise.backends.base.config_generator import expand_db_url

from hub import changes

CHANNEL = "causeway_changes"
TOPICS = ("blocks", "content")
"""Topics another process may announce (hub.changes)."""
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 10.0
CHECK_EVERY = 1.0
"""Seconds between two checks that the listening connection is still open."""

log = logging.getLogger("causeway.broadcast")
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
"""This process's name in notifications (its own are not counted twice)."""


async def announce(topic: str) -> None:
    """Count a change of ``topic`` here (hub.changes) and announce it to the other processes, in the current
    transaction if any, so it leaves at the commit (PostgreSQL only)."""
    changes.note(topic)
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, f"{topic} {PROCESS}"])


def connect_options(database_url: str) -> dict:
    """asyncpg.connect's arguments for the hub's database URL (host, port, user, password, database, ssl)."""
    credentials = expand_db_url(database_url)["credentials"]
    return {name: credentials[name] for name in ("host", "port", "user", "password", "database", "ssl") if credentials.get(name) is not None}


class Listener:
    """A dedicated connection LISTENing for other processes' changes, reconnected whenever it is lost."""

    def __init__(self, database_url: str, *, first_pause: float = FIRST_PAUSE, longest_pause: float = LONGEST_PAUSE) -> None:
        self.connect_options = connect_options(database_url)
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.received = 0
        """Notifications from other processes counted so far."""
        self.connects = 0
        """Connections made so far (1 + reconnections)."""
        self.listening = asyncio.Event()
        """Set while the connection listens."""
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Start listening in the background."""
        self._task = asyncio.create_task(self._run(), name="causeway-listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _notified(self, connection, pid: int, channel: str, payload: str) -> None:
        topic, _, process = payload.partition(" ")
        if process != PROCESS and topic in TOPICS:
            changes.note(topic)
            self.received += 1

    async def _run(self) -> None:
        import asyncpg

        pause = self.first_pause
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(**self.connect_options, timeout=10)
                await connection.add_listener(CHANNEL, self._notified)
                self.connects += 1
                if self.connects > 1:
                    log.info("listening for other processes' changes again")
                    for topic in TOPICS:  # what was announced while we were away
                        changes.note(topic)
                self.listening.set()
                pause = self.first_pause
                while not connection.is_closed():
                    await asyncio.sleep(CHECK_EVERY)
                    with contextlib.suppress(asyncio.TimeoutError):
                        # A query notices a connection the server closed (a restart) sooner than is_closed().
                        await connection.execute("SELECT 1", timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server restarting, refusing, or unreachable: try again later
                (log.warning if self.listening.is_set() else log.debug)(
                    "lost the connection listening for other processes' changes (%s); reconnecting", exc)
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.close(), 5)
                for topic in TOPICS:  # while not listening, nothing may be missed silently
                    changes.note(topic)
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.longest_pause)
