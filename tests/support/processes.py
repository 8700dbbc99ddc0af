"""Real-process helpers: free loopback ports, server subprocesses, polling waits.

Everything here depends only on the standard library and httpx, so it can drive
any server (the hub, the Mastodon-like peer) without importing Causeway code.
Tests never sleep blindly: they poll with `wait_until` / `wait_until_sync`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ServerProcess", "free_port", "run_hub", "wait_until", "wait_until_sync"]


_HANDED_OUT: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on `host` a moment ago and that this process has not handed out before.

    The kernel may give the same ephemeral port to two binds in a row once the first socket is closed: two
    ports asked for together (nginx's HTTP and HTTPS listeners, a hub and its peer) would then be one.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no fresh free port on {host} after 100 tries")


def run_hub(
    args: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike[str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hub ARGS`` as an operator would, with only the given HUB_* variables (others dropped).

    An argument ``PORT`` becomes a free loopback port.
    """
    argv = [str(free_port()) if a == "PORT" else str(a) for a in args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run([sys.executable, "-m", "hub", *argv], env={**clean, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


class ServerProcess:
    """A server started with subprocess.Popen, its output captured to a log file."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        name: str | None = None,
        inherit_env: bool = True,
        start: bool = True,
    ) -> None:
        """Prepare (and by default start) the command `args`; `env` overlays os.environ."""
        self.args = [str(a) for a in args]
        self.name = name or Path(self.args[0]).name
        self.cwd = str(cwd) if cwd is not None else None
        base_env = dict(os.environ) if inherit_env else {}
        base_env.setdefault("PYTHONUNBUFFERED", "1")
        base_env.update(env or {})
        self.env = base_env
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="causeway-proc-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
        self.log_path = self.log_dir / f"{safe}-{os.getpid()}-{id(self):x}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        if start:
            self.start()

    def start(self) -> ServerProcess:
        """Start the process in its own session (so stop() reaches its children)."""
        if self.popen is not None and self.popen.poll() is None:
            raise RuntimeError(f"{self.name} already running (pid {self.popen.pid})")
        self._log_file = open(self.log_path, "ab", buffering=0)
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int | None:
        """Process id, or None before start()."""
        return self.popen.pid if self.popen else None

    @property
    def returncode(self) -> int | None:
        """Exit status once the process has ended, else None."""
        return self.popen.poll() if self.popen else None

    def alive(self) -> bool:
        """True while the process is running."""
        return self.popen is not None and self.popen.poll() is None

    def log_text(self) -> str:
        """Everything the process has written to stdout/stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, limit: int = 4000) -> str:
        """Last `limit` characters of the log, for error messages."""
        return self.log_text()[-limit:]

    def wait_http(self, url: str, deadline: float = 20.0, *, ok_statuses: Callable[[int], bool] | None = None) -> httpx.Response:
        """Poll `url` until it answers (any HTTP status unless `ok_statuses` says otherwise)."""
        end = time.monotonic() + deadline
        last: object = None
        while time.monotonic() < end:
            if not self.alive():
                raise AssertionError(
                    f"{self.name} exited with {self.returncode} before {url} answered;"
                    f" log {self.log_path}:\n{self._log_tail()}"
                )
            try:
                resp = httpx.get(url, timeout=2.0, trust_env=False)
                if ok_statuses is None or ok_statuses(resp.status_code):
                    return resp
                last = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.05)
        raise AssertionError(
            f"{self.name}: {url} did not answer within {deadline}s (last: {last!r});"
            f" log {self.log_path}:\n{self._log_tail()}"
        )

    def _signal(self, sig: int) -> None:
        """Send `sig` to the process group, falling back to the process alone."""
        assert self.popen is not None
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.popen.send_signal(sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if still running after `timeout` seconds; return the exit status."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait(5)
        self._close_log()
        return self.popen.returncode

    def kill9(self) -> int | None:
        """SIGKILL the process group at once (crash simulation); return the exit status."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self._signal(signal.SIGKILL)
            self.popen.wait(5)
        self._close_log()
        return self.popen.returncode

    def _close_log(self) -> None:
        """Close our handle on the log file."""
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> ServerProcess:
        """Context manager: the process is already started."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Context manager: stop the process."""
        self.stop()

    def __repr__(self) -> str:
        """Short description with pid and log path."""
        return f"<ServerProcess {self.name} pid={self.pid} rc={self.returncode} log={self.log_path}>"


def _timeout_error(message: str, last: object, last_exc: BaseException | None, timeout: float) -> AssertionError:
    """Build the AssertionError raised when a wait runs out."""
    detail = f"{message} (timed out after {timeout}s; last value: {last!r}"
    if last_exc is not None:
        detail += f"; last error: {last_exc!r}"
    return AssertionError(detail + ")")


async def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> Any:
    """Poll a sync or async predicate until it returns a truthy value, and return that value.

    Exceptions raised by the predicate (including AssertionError) count as "not yet";
    on timeout an AssertionError carries `message`, the last value and the last error.
    """
    end = time.monotonic() + timeout
    last: object = None
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            last, last_exc = value, None
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - polled conditions may fail transiently
            last_exc = exc
        if time.monotonic() >= end:
            raise _timeout_error(message, last, last_exc, timeout) from last_exc
        await asyncio.sleep(interval)


def wait_until_sync(
    predicate: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> Any:
    """Synchronous twin of `wait_until` for a sync predicate."""
    end = time.monotonic() + timeout
    last: object = None
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 - polled conditions may fail transiently
            value, last_exc = None, exc
        else:
            if inspect.isawaitable(value):
                getattr(value, "close", lambda: None)()
                raise TypeError("wait_until_sync got an async predicate; use wait_until")
            last, last_exc = value, None
            if value:
                return value
        if time.monotonic() >= end:
            raise _timeout_error(message, last, last_exc, timeout) from last_exc
        time.sleep(interval)
