"""Fixtures for tests that run real hub and peer processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.hubs import Hub, make_hub
from tests.peers.mastodon_like import PeerHandle, launch


@pytest.fixture
def hub_factory(fresh_database_url, tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    """``hub_factory(name, **settings)`` makes a migrated hub (call ``.start()``); all are stopped at teardown."""
    hubs: list[Hub] = []

    def make(name: str = "hub", **settings: str) -> Hub:
        hub = make_hub(fresh_database_url(), tmp_path / name, **settings)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def peer_factory(tmp_path: Path) -> Iterator[Callable[..., PeerHandle]]:
    """``peer_factory(*flags)`` starts a Mastodon-like peer; all are stopped at teardown."""
    peers: list[PeerHandle] = []

    def make(*flags: str) -> PeerHandle:
        peer = launch(*flags, log_dir=str(tmp_path))
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.stop()
