"""Password guessing limits: each wrong password slows the next try, and each address has a cap.

Two limits, both counted from :class:`~hub.models.LoginFailure` rows (so they hold across web
processes and restarts), both checked before any password is hashed:

- **Per user name and address**: the first :data:`FREE_FAILURES` wrong passwords cost nothing; after
  that each try waits twice as long as the one before (2 s, 4 s, 8 s … at most :data:`MAX_WAIT`) after
  the last failure. A right password clears the count.
- **Per address**: at most :data:`ADDRESS_LIMIT` wrong passwords in :data:`ADDRESS_WINDOW`, whatever
  the user names (against trying one password on many names).

Both are keyed on the address the try comes from (an IPv6 address by its /64 network, which one
machine usually holds whole), so a stranger's guesses never slow the administrator down at their own
address: the limits cannot be used to lock the real administrator out.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from hub.clock import now
from hub.errors import RateLimited
from hub.models import LoginFailure

FREE_FAILURES = 5
"""Wrong passwords for one user name from one address before tries are spaced out."""
FIRST_WAIT = timedelta(seconds=2)
"""The wait after failure number FREE_FAILURES; it doubles with each further failure."""
MAX_WAIT = timedelta(minutes=15)
"""The longest wait between two tries of one user name from one address."""
ADDRESS_LIMIT = 20
"""Wrong passwords one address may give in :data:`ADDRESS_WINDOW`, all user names together."""
ADDRESS_WINDOW = timedelta(minutes=15)
MEMORY = timedelta(days=1)
"""How long a wrong password counts (rows older than this are deleted)."""


def address_key(address: str) -> str:
    """What the limits count by: an IPv4 address as it is, an IPv6 address as its /64 network."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def wait_after(failures: int) -> timedelta:
    """How long to wait after the last of ``failures`` consecutive wrong passwords (zero while they are free)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - FREE_FAILURES, 32), MAX_WAIT)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


async def check_allowed(username: str, address: str, *, moment: datetime | None = None) -> None:
    """Raise RateLimited (with ``retry_after`` seconds) when this user name may not be tried from this address yet."""
    moment = moment or now()
    key = address_key(address)
    recent = LoginFailure.filter(address=key, created_at__gte=moment - ADDRESS_WINDOW)
    if await recent.count() >= ADDRESS_LIMIT:
        oldest = await recent.order_by("created_at").first()
        raise RateLimited(
            "too many wrong passwords from this address; try again later",
            retry_after=_seconds(oldest.created_at + ADDRESS_WINDOW - moment),
        )
    failures = LoginFailure.filter(username=username, address=key, created_at__gte=moment - MEMORY)
    count = await failures.count()
    wait = wait_after(count)
    if wait:
        last = await failures.order_by("-created_at").first()
        if last.created_at + wait > moment:
            raise RateLimited(
                "too many wrong passwords for this user name; wait before trying again",
                retry_after=_seconds(last.created_at + wait - moment),
            )


async def record_failure(username: str, address: str, *, moment: datetime | None = None) -> None:
    """Remember a wrong password (and forget those older than :data:`MEMORY`)."""
    moment = moment or now()
    await LoginFailure.filter(created_at__lt=moment - MEMORY).delete()
    await LoginFailure.create(username=username[:64], address=address_key(address), created_at=moment)


async def clear_failures(username: str, address: str) -> None:
    """A right password: this user name starts afresh from this address (its failures leave the address's count too)."""
    await LoginFailure.filter(username=username, address=address_key(address)).delete()
