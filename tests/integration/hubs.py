"""Real Causeway hub processes for federation tests: one `hub serve` per hub, on a loopback port.

Each hub has its own database (from the ``fresh_database_url`` fixture), data directory and
domain ``127.0.0.1:PORT``; private addresses are allowed only for 127.0.0.0/8.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import psycopg2.extras

from tests.support.processes import ServerProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
AS_ACCEPT = "application/activity+json"


@dataclass
class Hub:
    """A running hub process and the CLI bound to its settings."""

    port: int
    env: dict[str, str]
    data_dir: Path
    process: ServerProcess | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        """host:port the hub is known by."""
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://{self.domain}"

    def group_url(self, slug: str) -> str:
        """A group's actor id."""
        return f"{self.base}/groups/{slug}"

    def cli(self, *args: str, input_text: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run `hub ARGS` with this hub's settings."""
        result = subprocess.run(
            [sys.executable, "-m", "hub", *args], cwd=REPO_ROOT, env={**os.environ, **self.env},
            input=input_text, capture_output=True, text=True, timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"hub {' '.join(args)} failed ({result.returncode}): {result.stderr}{result.stdout}")
        return result

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of a read-only SQL query on the hub's own database (fast polling without starting a CLI)."""
        url = self.env["HUB_DATABASE_URL"]
        if url.startswith("sqlite://"):
            with contextlib.closing(sqlite3.connect(url[len("sqlite://"):], timeout=10)) as conn:
                conn.row_factory = sqlite3.Row
                return [dict(row) for row in conn.execute(sql.replace("%s", "?"), params)]
        with contextlib.closing(psycopg2.connect(url.replace("postgres://", "postgresql://", 1))) as conn:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(sql, params)
                rows = [dict(row) for row in cursor.fetchall()]
            conn.rollback()
            return rows

    def query_write(self, sql: str, *params: Any) -> None:
        """Run one writing SQL statement on the hub's database (to set up a scene the API cannot)."""
        url = self.env["HUB_DATABASE_URL"]
        if url.startswith("sqlite://"):
            with contextlib.closing(sqlite3.connect(url[len("sqlite://"):], timeout=10)) as conn:
                conn.execute(sql.replace("%s", "?"), params)
                conn.commit()
            return
        with contextlib.closing(psycopg2.connect(url.replace("postgres://", "postgresql://", 1))) as conn:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
            conn.commit()

    def members(self, slug: str) -> dict[str, dict[str, Any]]:
        """The group's memberships keyed by actor URI: {account, handle, state, role}."""
        rows = self.query(
            "SELECT a.uri AS account, a.handle AS handle, m.state AS state, m.role AS role FROM memberships m "
            "JOIN accounts a ON a.id = m.account_id JOIN groups g ON g.id = m.group_id WHERE g.slug = %s", slug,
        )
        return {row["account"]: row for row in rows}

    def invites(self, **match: Any) -> list[dict[str, Any]]:
        """Invites (id, direction, kind, state, object, invite_uri) matching the given fields."""
        rows = self.query("SELECT id, direction, kind, state, object_uri AS object, invite_uri FROM invites ORDER BY id")
        return [row for row in rows if all(row.get(k) == v for k, v in match.items())]

    def queued_deliveries(self) -> int:
        """Deliveries still waiting to be sent."""
        return int(self.query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'queued'")[0]["n"])

    def cli_json(self, *args: str) -> Any:
        """Run a listing command with --json and parse its output."""
        return json.loads(self.cli(*args, "--json").stdout)

    def start(self, *extra: str) -> Hub:
        """Start `hub serve` and wait until it answers."""
        self.process = ServerProcess(
            [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
            cwd=REPO_ROOT, env={**self.env, "PYTHONUNBUFFERED": "1"}, log_dir=str(self.data_dir), name=f"hub-{self.port}",
        )
        self.process.wait_http(f"{self.base}/nodeinfo/2.0", deadline=30, ok_statuses=lambda s: s == 200)
        return self

    def stop(self) -> int | None:
        """Stop the server (SIGTERM) and return its exit code."""
        return self.process.stop() if self.process else None

    def get(self, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """A plain GET against the hub."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.base}{path_or_url}"
        with httpx.Client(timeout=10, trust_env=False) as client:
            return client.get(url, **kwargs)

    def log(self) -> str:
        """The server's output so far."""
        return self.process.log_text() if self.process else ""


def make_hub(database_url: str, data_dir: Path, **settings: str) -> Hub:
    """A migrated, not yet started hub on a free port."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "HUB_DOMAIN": f"127.0.0.1:{port}",
        "HUB_DATABASE_URL": database_url,
        "HUB_DATA_DIR": str(data_dir),
        "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8",
        "HUB_LOG_LEVEL": "info",
        **settings,
    }
    hub = Hub(port=port, env=env, data_dir=data_dir)
    hub.cli("migrate")
    return hub
