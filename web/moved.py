"""Redirects for groups that moved to another hub (``hub group move``): their URLs lead to the new home.

A GET or HEAD of ``/groups/SLUG`` or anything under it, for a group that moved, is redirected:
pages with 301 (Moved Permanently), ActivityPub GETs (``Accept: application/activity+json``) with
308. When the new actor is itself a Causeway group (``…/groups/NEW``) the rest of the path follows
(``/groups/SLUG/campaigns`` -> ``…/groups/NEW/campaigns``), else everything leads to the new actor.

One exception: an ActivityPub GET of the actor itself is still answered here, with ``movedTo``
naming the new home. Servers verify the group's ``Move`` (and the ``Undo`` of follows that ends the
old membership) with the old actor's key, and Mastodon reads ``movedTo`` from that document; a
redirect would hand them the new group's key instead. POSTs (the inbox) are never redirected: the
old group still takes the ``Undo`` of each follow its members' servers move.

Which groups moved is read from the database at most every :data:`REFRESH` seconds per process.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.models import Group

REFRESH = 2.0
"""Seconds a process keeps its list of moved groups."""
AP_TYPES = ("application/activity+json", "application/ld+json")


def destination(target: str, rest: str) -> str:
    """Where ``/groups/SLUG`` + ``rest`` of a group that moved to the actor ``target`` leads."""
    path = urlsplit(target).path.rstrip("/")
    parts = path.split("/")
    if rest and len(parts) == 3 and parts[1] == "groups" and parts[2]:
        return target.rstrip("/") + rest
    return target


class MovedGroups:
    """Middleware: send GETs of a moved group's URLs to its new home (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.moved: dict[str, str] = {}
        self.read_at = float("-inf")

    async def targets(self) -> dict[str, str]:
        """slug -> new actor of every group that moved, refreshed every REFRESH seconds."""
        if time.monotonic() - self.read_at >= REFRESH:
            rows = await Group.filter(moved_to__not_isnull=True).values_list("slug", "moved_to")
            self.moved, self.read_at = dict(rows), time.monotonic()
        return self.moved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect a moved group's GET; pass everything else on."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/groups/") and scope["method"] in ("GET", "HEAD"):
            slug, _, rest = path[len("/groups/"):].partition("/")
            target = (await self.targets()).get(slug)
            if target is not None:
                accept = Headers(scope=scope).get("accept", "").lower()
                activity = any(kind in accept for kind in AP_TYPES)
                if not (activity and not rest):
                    location = destination(target, f"/{rest}" if rest else "")
                    await RedirectResponse(location, status_code=308 if activity else 301)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
