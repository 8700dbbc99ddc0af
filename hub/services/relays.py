"""The hub's relay subscriptions (the Mastodon/LitePub relay protocol): the instance actor follows a
relay, and the relay's Announces bring public posts of the wider fediverse to campaign pages.

Events recorded: ``relay.follow`` {relay_id} (the Follow of Public goes to the relay's inbox) and
``relay.undo`` {relay_id}.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from hub.errors import Conflict, NotFound
from hub.lifecycle import RELAY
from hub.models import Account, RelaySubscription
from hub.services import events, moderation_log
from hub.services.moderation import require_admin


async def follow(actor_uri: str, *, inbox: str, follow_uri: str, by: Account | None = None) -> RelaySubscription:
    """Subscribe to a relay (again, after a rejection or an undo); event ``relay.follow``, logged ``relay_follow``."""
    await require_admin(by)
    async with in_transaction():
        row = await RelaySubscription.get_or_none(actor_uri=actor_uri)
        if row is None:
            row = await RelaySubscription.create(actor_uri=actor_uri, inbox=inbox, follow_uri=follow_uri, state="pending")
        else:
            if row.state in ("accepted", "pending"):
                raise Conflict(f"the hub already follows the relay {actor_uri} ({row.state})")
            RELAY.check(row.state, "pending")
            row.state, row.inbox, row.follow_uri = "pending", inbox, follow_uri
            await row.save()
        await events.record("relay.follow", None, relay_id=row.id)
        await moderation_log.record("relay_follow", actor_uri, group=None, by=by)
    return row


async def answered(follow_uri: str | None, actor_uri: str, *, accepted: bool) -> RelaySubscription | None:
    """The relay accepted or rejected our Follow; only the relay itself may answer. None when not ours."""
    row = await RelaySubscription.get_or_none(actor_uri=actor_uri)
    if row is None or (follow_uri is not None and row.follow_uri != follow_uri):
        return None
    target = "accepted" if accepted else "rejected"
    if row.state != target:
        RELAY.check(row.state, target)
        row.state = target
        await row.save(update_fields=["state", "updated_at"])
    return row


async def unfollow(actor_uri: str, *, by: Account | None = None) -> RelaySubscription:
    """Stop following a relay; event ``relay.undo``, logged ``relay_unfollow``."""
    await require_admin(by)
    row = await RelaySubscription.get_or_none(actor_uri=actor_uri)
    if row is None or row.state == "undone":
        raise NotFound(f"the hub does not follow the relay {actor_uri}")
    async with in_transaction():
        RELAY.check(row.state, "undone")
        row.state = "undone"
        await row.save(update_fields=["state", "updated_at"])
        await events.record("relay.undo", None, relay_id=row.id)
        await moderation_log.record("relay_unfollow", actor_uri, group=None, by=by)
    return row


async def accepted_relay(actor_uri: str) -> RelaySubscription | None:
    """The subscription when ``actor_uri`` is a relay that accepted our Follow."""
    return await RelaySubscription.get_or_none(actor_uri=actor_uri, state="accepted")


async def list_relays() -> list[RelaySubscription]:
    """Every relay subscription, oldest first."""
    return await RelaySubscription.all().order_by("id")
