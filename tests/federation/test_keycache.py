"""The process's cache of signers' keys: entries expire, the oldest go first, a rotated key can be dropped."""

from __future__ import annotations

import pytest

from federation import keycache
from federation.keycache import KeyCache


def test_entries_expire_and_the_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch):
    """A key is served for ``seconds``; past ``size`` entries the oldest is evicted; drop() forgets one at once."""
    clock = [100.0]
    monkeypatch.setattr(keycache.time, "monotonic", lambda: clock[0])
    cache = KeyCache(seconds=60, size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    cache.drop("b")
    assert cache.get("b") is None
    clock[0] += 61
    assert cache.get("c") is None
