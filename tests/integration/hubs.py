"""Real Causeway hub processes for federation tests: one `hub serve` per hub, on a loopback port.

Each hub has its own database (from the ``fresh_database_url`` fixture), data directory and
domain ``127.0.0.1:PORT``; private addresses are allowed only for 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

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
