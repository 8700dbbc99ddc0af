"""Signing deliveries off the event loop: the fan-out's RSA signatures made on a few threads.

An RSA-2048 signature costs about 0.25 ms of CPU, the largest single cost of sending a delivery.
Made on the event loop, every signature holds up the sockets of all the sends in flight. The
``cryptography`` package releases the GIL while OpenSSL signs (two threads make ~1.9× the
signatures of one on the 2-core machines here), so the worker's sends sign on a small pool of
threads while the loop keeps writing and reading. With one CPU the pool would only add hand-offs,
so there each signature is made in place.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

T = TypeVar("T")

MAX_THREADS = 4


def default_threads() -> int:
    """One signing thread per CPU this process may use, at most MAX_THREADS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cpus))


class SigningThreads:
    """Runs signing functions on a thread pool (created on first use), or in place with one thread."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = default_threads() if threads is None else threads
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, sign: Callable[..., T], *args: object) -> T:
        """``sign(*args)``, made on a signing thread; its exceptions are raised here."""
        if self.threads <= 1:
            return sign(*args)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="causeway-sign")
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(sign, *args))

    def close(self) -> None:
        """Let the threads end after the signature each is making (queued ones are dropped); a later ``run`` starts a new pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
