"""hub.services.login_attempts: how long each wrong password makes the next try wait, and what an address is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import RateLimited
from hub.services import login_attempts


async def test_waits_double_up_to_a_ceiling_and_a_right_password_clears_them(db) -> None:
    """Failure 5 waits 2 s, failure 6 waits 4 s…, never more than 15 minutes; a right password starts afresh."""
    start = now() - timedelta(hours=1)
    for number in range(login_attempts.FREE_FAILURES):
        await login_attempts.record_failure("admin", "198.51.100.30", moment=start + timedelta(seconds=number))
    last = start + timedelta(seconds=login_attempts.FREE_FAILURES - 1)
    with pytest.raises(RateLimited) as caught:
        await login_attempts.check_allowed("admin", "198.51.100.30", moment=last + timedelta(seconds=1))
    assert caught.value.retry_after == 1
    await login_attempts.check_allowed("admin", "198.51.100.30", moment=last + timedelta(seconds=2))
    await login_attempts.record_failure("admin", "198.51.100.30", moment=last + timedelta(seconds=2))
    with pytest.raises(RateLimited) as caught:
        await login_attempts.check_allowed("admin", "198.51.100.30", moment=last + timedelta(seconds=3))
    assert caught.value.retry_after == 3
    assert [login_attempts.wait_after(n).total_seconds() for n in (4, 5, 6, 7, 30)] == [0, 2, 4, 8, 900]
    await login_attempts.clear_failures("admin", "198.51.100.30")
    await login_attempts.check_allowed("admin", "198.51.100.30", moment=last + timedelta(seconds=3))


def test_addresses_are_keyed_by_host_or_ipv6_64() -> None:
    """IPv4 and IPv4-mapped addresses count alone; IPv6 by /64; odd peer names are kept (cut to 64 characters)."""
    assert login_attempts.address_key("198.51.100.7") == "198.51.100.7"
    assert login_attempts.address_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert login_attempts.address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert login_attempts.address_key("x" * 100) == "x" * 64
