"""Wiring the worker to the real inbox processing and event fan-out."""

from __future__ import annotations

from typing import Any

from federation.context import Federation
from federation.outbound import handle_event
from federation.processing import process_item
from federation.registry import REGISTRY
from federation.worker import Worker


def build_worker(fed: Federation, **options: Any) -> Worker:
    """A Worker that processes stored inbox items and turns domain events into deliveries."""
    options.setdefault("timers", REGISTRY.timers)
    return Worker(fed, process_inbox=process_item, handle_event=handle_event, **options)
