"""A real third-party ActivityPub server (bovine-herd) for interop tests.

Runs in Causeway's test venv but starts bovine in its own venv (tests/peers/bovine/), so it
uses only the standard library and httpx. Usage:

    from tests.integration.bovine_peer import BovinePeer, bovine_available, bovine_unavailable_reason

    pytestmark = pytest.mark.skipif(not bovine_available(), reason=bovine_unavailable_reason())

    peer = BovinePeer.start(tmp_path)
    try:
        alice = peer.register("alice")                 # http://127.0.0.1:PORT/endpoints/...
        follow_id = peer.follow("alice", group_actor_url)
        accept = peer.wait_for_inbox("alice", lambda a: a.get("type") == "Accept")
    finally:
        peer.stop()

bovine serves its actors only to signed GETs, signs with draft-cavage rsa-sha256 (keyId
"<actor>#serverKey"), and verifies incoming keys with its application actor
http://127.0.0.1:PORT/activitypub/bovine. The venv is built on first use (about a minute)
under $BOVINE_VENV or <repo>/.venv-bovine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = REPO_ROOT / "tests" / "peers" / "bovine"
SETUP_SCRIPT = PEER_DIR / "setup_venv.sh"
SERVER_SCRIPT = PEER_DIR / "server.py"

_availability: tuple[bool, str] | None = None
_venv_ready = False


def venv_dir() -> Path:
    return Path(os.environ.get("BOVINE_VENV", REPO_ROOT / ".venv-bovine"))


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def ensure_venv(timeout: float = 600) -> None:
    """Builds the bovine venv if needed (quick when it is already there). Raises on failure."""
    global _venv_ready
    if _venv_ready:
        return
    result = subprocess.run(
        ["bash", str(SETUP_SCRIPT), str(venv_dir())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        # pip's notes about unused local index folders only drown the real error
        output = "\n".join(line for line in result.stdout.splitlines()
                           if not line.startswith("WARNING: Location"))
        raise RuntimeError(f"setup_venv.sh exited {result.returncode}:\n{output[-3000:]}")
    _venv_ready = True


def bovine_available() -> bool:
    """True when the bovine venv exists or can be built; the result is cached per process."""
    global _availability
    if _availability is None:
        try:
            ensure_venv()
            _availability = (True, "")
        except Exception as error:  # noqa: BLE001 - turned into a skip reason
            _availability = (False, f"bovine-herd venv could not be built: {error}")
    return _availability[0]


def bovine_unavailable_reason() -> str:
    bovine_available()
    assert _availability is not None
    return _availability[1] or "bovine-herd peer available"


class BovinePeerError(RuntimeError):
    pass


class BovinePeer:
    """One bovine-herd process on http://127.0.0.1:PORT with its data under a directory."""

    def __init__(self, process: subprocess.Popen, base_url: str, data_dir: Path, log_path: Path):
        self.process = process
        self.base_url = base_url
        self.data_dir = data_dir
        self.log_path = log_path
        self.actors: dict[str, dict] = {}
        self._client = httpx.Client(base_url=base_url + "/_control", timeout=30.0)

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, tmp_path: Path | str, startup_timeout: float = 30.0) -> "BovinePeer":
        ensure_venv()
        data_dir = Path(tmp_path) / "bovine-peer"
        data_dir.mkdir(parents=True, exist_ok=True)
        port_file = data_dir / "port"
        port_file.unlink(missing_ok=True)
        log_path = data_dir / "server.log"
        log = open(log_path, "ab")
        try:
            process = subprocess.Popen(
                [str(venv_python()), str(SERVER_SCRIPT), "--data-dir", str(data_dir),
                 "--port", "0", "--port-file", str(port_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(data_dir),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            log.close()

        deadline = time.monotonic() + startup_timeout
        while not port_file.exists():
            cls._check_alive(process, log_path)
            if time.monotonic() > deadline:
                process.kill()
                raise BovinePeerError(f"bovine wrote no port file\n{cls._tail(log_path)}")
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        peer = cls(process, base_url, data_dir, log_path)
        while True:
            cls._check_alive(process, log_path)
            try:
                if peer._client.get("/health", timeout=2.0).status_code == 200:
                    return peer
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                peer.stop()
                raise BovinePeerError(f"bovine did not answer\n{cls._tail(log_path)}")
            time.sleep(0.1)

    def stop(self) -> None:
        self._client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> "BovinePeer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @staticmethod
    def _tail(log_path: Path, size: int = 4000) -> str:
        try:
            return log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    @classmethod
    def _check_alive(cls, process: subprocess.Popen, log_path: Path) -> None:
        if process.poll() is not None:
            raise BovinePeerError(
                f"bovine exited with {process.returncode}\n{cls._tail(log_path)}"
            )

    def log(self) -> str:
        """The server's log so far (handy in assertion messages)."""
        return self._tail(self.log_path, 200_000)

    # -- control API -----------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise BovinePeerError(
                f"{method} {path} -> {response.status_code}: {response.text}\n"
                f"{self._tail(self.log_path)}"
            )
        return response.json()

    def register(self, name: str) -> str:
        """Registers actor `name`; returns its actor id."""
        info = self._call("POST", "/actors", json={"name": name})
        self.actors[name] = info
        return info["actor_id"]

    def actor(self, name: str) -> dict:
        """The actor document as its owner sees it (includes publicKey)."""
        return self._call("GET", f"/actors/{name}")

    def follow(self, actor_name: str, target_actor_url: str) -> str:
        """Sends a Follow through bovine's outbox, waits for the delivery; returns its id."""
        return self.follow_result(actor_name, target_actor_url)["id"]

    def follow_result(self, actor_name: str, target_actor_url: str) -> dict:
        """Like follow() but returns {"id", "activity", "deliveries": [{"inbox", "status"...}]}."""
        return self._call("POST", f"/actors/{actor_name}/follow",
                          json={"object": target_actor_url})

    def create_note(self, actor_name: str, content: str, **fields) -> dict:
        """Create(Note) through the outbox; fields such as to, cc, audience, inReplyTo.

        Returns {"id", "object_id", "activity", "deliveries"}."""
        return self._call("POST", f"/actors/{actor_name}/note",
                          json={"content": content, **fields})

    def send(self, actor_name: str, activity: dict, wait: bool = True) -> dict:
        """Any activity through bovine's outbox (bovine assigns the id)."""
        return self._call("POST", f"/actors/{actor_name}/outbox",
                          json={**activity, "wait": wait})

    def inbox(self, actor_name: str) -> list[dict]:
        """What bovine put into the actor's inbox, oldest first, as bovine stored it
        (compacted against its own context; a referenced object that bovine has stored is
        embedded under "object")."""
        return self._call("GET", f"/actors/{actor_name}/inbox")["items"]

    def outbox(self, actor_name: str) -> list[dict]:
        return self._call("GET", f"/actors/{actor_name}/outbox")["items"]

    def following(self, actor_name: str) -> list[str]:
        return self._call("GET", f"/actors/{actor_name}/following")["items"]

    def followers(self, actor_name: str) -> list[str]:
        return self._call("GET", f"/actors/{actor_name}/followers")["items"]

    def fetch(self, actor_name: str, url: str) -> dict:
        """Signed GET of url as the actor; {"status", "content_type", "json", "text"}."""
        return self._call("POST", f"/actors/{actor_name}/fetch", json={"url": url})

    def post(self, actor_name: str, url: str, body: dict | str) -> dict:
        """Signed POST of body to url as the actor, bypassing the outbox; {"status", "text"}."""
        return self._call("POST", f"/actors/{actor_name}/post", json={"url": url, "body": body})

    def deliveries(self) -> list[dict]:
        """Every outbox delivery attempt so far, with the HTTP status the receiver gave."""
        return self._call("GET", "/deliveries")["items"]

    def missing_contexts(self) -> list[str]:
        """JSON-LD context URLs bovine needed but does not have (it treated them as empty)."""
        return self._call("GET", "/missing_contexts")["items"]

    def wait_for_inbox(self, actor_name: str, predicate: Callable[[dict], bool],
                       timeout: float = 15.0) -> dict:
        """Polls the inbox until an item matches; returns it or raises with the inbox and log."""
        deadline = time.monotonic() + timeout
        items: list[dict] = []
        while time.monotonic() < deadline:
            items = self.inbox(actor_name)
            for item in items:
                if predicate(item):
                    return item
            time.sleep(0.1)
        raise BovinePeerError(
            f"nothing matching arrived in {actor_name}'s inbox within {timeout}s; "
            f"inbox={items!r}\n{self._tail(self.log_path)}"
        )


if __name__ == "__main__":  # python -m tests.integration.bovine_peer: build the venv
    ok = bovine_available()
    print(bovine_unavailable_reason())
    sys.exit(0 if ok else 1)
