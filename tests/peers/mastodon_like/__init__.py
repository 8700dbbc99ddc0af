"""A Mastodon-like ActivityPub peer for federation tests, independent of Causeway's code.

Run it as a real process from the repository root:

    python -m tests.peers.mastodon_like --port P --host 127.0.0.1
        [--software NAME] [--software-version V] [--authorized-fetch]
        [--accept-rfc9421] [--rfc9421-only] [--integrity-proofs] [--no-auto-accept]

`launch()` does that with tests.support.processes.ServerProcess and waits
until the peer answers. Only starlette, uvicorn, httpx, cryptography and pyld (Linked Data
signatures, ldsign.py) are used.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.processes import ServerProcess

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class PeerHandle:
    """A running peer process and how to talk to it."""

    process: ServerProcess
    port: int
    host: str = "127.0.0.1"

    @property
    def domain(self) -> str:
        """host:port."""
        return f"{self.host}:{self.port}"

    @property
    def base(self) -> str:
        """http://host:port."""
        return f"http://{self.domain}"

    def control(self, path: str, payload: dict[str, Any] | None = None, **params: Any) -> Any:
        """Call the control API synchronously: POST with a payload, else GET; returns JSON."""
        import httpx

        url = f"{self.base}/_control/{path.lstrip('/')}"
        with httpx.Client(timeout=30.0, trust_env=False) as client:
            resp = client.post(url, json=payload) if payload is not None else client.get(url, params=params)
        resp.raise_for_status()
        return resp.json()

    def stop(self) -> int | None:
        """Stop the peer process."""
        return self.process.stop()


def command(port: int, *flags: str, host: str = "127.0.0.1") -> list[str]:
    """The exact argv that starts a peer with this interpreter."""
    return [sys.executable, "-m", "tests.peers.mastodon_like", "--port", str(port), "--host", host, *flags]


def launch(*flags: str, port: int | None = None, log_dir: str | None = None, deadline: float = 20.0) -> PeerHandle:
    """Start a peer process (cwd = repo root) and wait until /_control/health answers 200."""
    from tests.support.processes import ServerProcess, free_port

    port = port or free_port()
    proc = ServerProcess(command(port, *flags), cwd=REPO_ROOT, env={"PYTHONUNBUFFERED": "1"},
                         log_dir=log_dir, name=f"mastodon-like-{port}")
    try:
        proc.wait_http(f"http://127.0.0.1:{port}/_control/health", deadline=deadline, ok_statuses=lambda s: s == 200)
    except BaseException:
        proc.stop()
        raise
    return PeerHandle(process=proc, port=port)
