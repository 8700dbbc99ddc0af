"""Leases of queue rows: how much of a lease is left, and a worker owner name unique to its process."""

from __future__ import annotations

import os
from datetime import timedelta

from federation.leases import default_owner, lease_left
from hub.clock import now
from hub.models import InboxItem


def test_lease_left_counts_the_margin_and_a_released_lease_has_none():
    """A lease running 30 s more is left for a 10 s margin but not a 40 s one; no lease is never left."""
    row = InboxItem(lease_until=now() + timedelta(seconds=30))
    assert lease_left(row, 10) and not lease_left(row, 40)
    assert not lease_left(InboxItem(lease_until=None), 0)
    assert str(os.getpid()) in default_owner()
