"""Processing stored inbox items: find the handler for (activity type, object type) and run it.

The handlers are the features' (federation.features), assembled by federation.registry into one
table that tests list and check against real payloads. Each handler turns the activity into calls
of hub services and returns an ``Outcome``; anything it does not act on is ``ignored`` with a
recorded reason, never an exception that loses the item.
"""

from __future__ import annotations

import json
import re

from federation.context import Federation
from federation.errors import DocumentError, FederationError, FetchError, ResponseTooLarge, UnsafeAddressError
from federation.fetch import FetchStatusError
from federation.handling import Incoming, Outcome, ignored
from federation.registry import handler_for
from federation.vocab import id_of, is_http_id, type_of
from hub.clock import now
from hub.errors import HubError
from hub.models import InboxItem, Invite, Membership
from hub.queue import finish
from hub.services import blocks


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


UNSUPPORTED = {
    "Like": "likes are not counted: Causeway measures impact, not likes",
    "Dislike": "dislikes are not counted",
    "EmojiReact": "reactions are not counted",
    "View": "views are not recorded",
}
"""Activity types deliberately ignored, with the reason stored on the inbox item."""


async def process(fed: Federation, activity: dict, actor: str, raw: str | None = None) -> Outcome:
    """Run the handler for one activity (already verified and origin-checked by the inbox); ``raw``: its bytes as received."""
    obj = activity.get("object")
    obj_dict = obj if isinstance(obj, dict) else None
    object_id = id_of(obj)
    if object_id is not None and not is_http_id(object_id):
        object_id = None  # too long, or not http(s): nothing here is stored under it (and the ORM would refuse to look)
    if type_of(activity) == "Undo" and obj_dict is None and object_id:
        if await Membership.filter(follow_uri=object_id).exists():
            obj_dict = {"type": "Follow", "id": object_id}
        elif await Invite.filter(invite_uri=object_id, direction="incoming").exists():
            obj_dict = {"type": "Invite", "id": object_id}
    handler = handler_for(type_of(activity) or "", type_of(obj_dict) or "")
    if handler is None:
        kind = type_of(activity) or "?"
        return ignored(UNSUPPORTED.get(kind, f"{kind} of {type_of(obj_dict) or 'a reference'} is not handled"))
    return await handler(fed, Incoming(activity, actor, obj_dict, object_id, raw))


def printable(reason: str | None, limit: int = 2000) -> str | None:
    """A recorded reason without control characters (a peer's text may carry NUL, which PostgreSQL refuses), capped."""
    return _CONTROL.sub("\ufffd", reason)[:limit] if reason else reason


def is_permanent(exc: FetchError) -> bool:
    """Fetch failures a retry cannot fix: unusable documents, refused addresses, oversize, 4xx but 401/408/429."""
    if isinstance(exc, (DocumentError, UnsafeAddressError, ResponseTooLarge)):
        return True
    return isinstance(exc, FetchStatusError) and 400 <= exc.status < 500 and exc.status not in (401, 408, 429)


async def process_item(fed: Federation, item: InboxItem) -> None:
    """Process a claimed inbox item and record its final state (network failures propagate for a retry)."""
    activity = json.loads(item.body)
    try:
        if await blocks.instance_blocked(item.actor_uri):
            outcome = ignored("the instance blocks the sender's domain")  # blocked after the inbox accepted it
        else:
            outcome = await process(fed, activity, item.actor_uri, item.body)
    except FetchError as exc:
        if not is_permanent(exc):
            raise
        outcome = ignored(f"fetching failed for good: {exc.reason}")
    except (FederationError, HubError) as exc:
        outcome = ignored(str(exc))
    await finish(item, outcome.state, processed_at=now(), last_error=printable(outcome.reason))
