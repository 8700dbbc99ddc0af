"""Counts of this process's changes, by topic, for in-memory copies that must not outlive a local change.

A copy (the inbox's block list, the anonymous page cache) remembers the count it was made at and
rereads when the count moved; changes made by other processes reach it when the copy expires.
Topics: ``blocks`` (the instance's domain blocks), ``content`` (anything a public page shows:
every domain change records an event, hub.services.events).
"""

from __future__ import annotations

_counts: dict[str, int] = {}


def note(topic: str) -> None:
    """Count a change of ``topic`` made by this process."""
    _counts[topic] = _counts.get(topic, 0) + 1


def count(topic: str) -> int:
    """How many changes of ``topic`` this process has made."""
    return _counts.get(topic, 0)
