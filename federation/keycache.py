"""Remote keys recently used to verify inbound signatures, kept in memory for a short while.

Every inbox POST needs its signer's key: reading it from the database each time cost about a
third of the inbox's time (bench/RESULTS.md, inbox). ``KeyCache`` keeps keyId -> key for
``seconds`` (one per process, owned by the Federation object). A rotated key is still caught:
when the cached key does not verify, the inbox refetches the key (rate-limited) and the cache
takes the new one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any


class KeyCache:
    """keyId -> key (any value) for ``seconds``, at most ``size`` entries, least recently used dropped first."""

    def __init__(self, seconds: float = 60.0, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key_id: str) -> Any | None:
        """The cached key, or None when absent or older than ``seconds``."""
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        stored_at, value = entry
        if time.monotonic() - stored_at > self.seconds:
            del self._entries[key_id]
            return None
        self._entries.move_to_end(key_id)
        return value

    def put(self, key_id: str, value: Any) -> None:
        """Remember ``value`` for ``key_id`` from now on."""
        self._entries[key_id] = (time.monotonic(), value)
        self._entries.move_to_end(key_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key_id: str) -> None:
        """Forget ``key_id``."""
        self._entries.pop(key_id, None)
