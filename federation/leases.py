"""Who holds queue rows: worker names, what is left of a lease, and the leases of workers that died.

A worker leases the rows it works on (hub.queue.claim) under an owner name unique to its process
(``host:pid:random``). A lease that runs out makes its rows claimable again; a worker restarted on
the same machine takes back at once the delivery leases of workers whose process is gone.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from tortoise.models import Model

from hub.clock import now
from hub.models import Delivery

log = logging.getLogger("causeway.worker")


def default_owner() -> str:
    """A lease owner name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def release_orphaned_leases() -> int:
    """Release the delivery leases of workers on this machine whose process is gone; returns how many.

    A worker killed mid-send (kill -9, OOM) leaves leases that would otherwise only expire after
    LEASE_SECONDS; its restart on the same machine takes the rows back at once. Owners on other
    machines, or whose pid is alive, are left alone.
    """
    prefix = default_owner().rsplit(":", 2)[0] + ":"
    owners = await Delivery.filter(state="queued", lease_until__gt=now(), lease_owner__startswith=prefix).distinct(
        ).values_list("lease_owner", flat=True)
    gone = []
    for owner in set(owners):
        pid = owner[len(prefix):].split(":", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            gone.append(owner)
    if not gone:
        return 0
    released = await Delivery.filter(state="queued", lease_owner__in=gone).update(lease_until=None, lease_owner=None)
    log.info("worker released=%d leases of stopped workers owners=%s", released, ",".join(sorted(gone)))
    return released


def lease_left(row: Model, margin: float) -> bool:
    """Whether ``row``'s lease runs at least ``margin`` seconds more."""
    lease_until = row.lease_until
    return lease_until is not None and lease_until - now() > timedelta(seconds=margin)
