"""Relays: the instance actor follows relays, and what a subscribed relay announces feeds campaigns.

The hub follows a relay as Mastodon and Pleroma do (``Follow`` of Public by the instance actor). An
``Accept``/``Reject`` of that Follow marks the subscription; an ``Announce`` by a subscribed relay is
a public post of the wider fediverse, fetched from its own origin and, when it carries a running
campaign's hashtag, held for the campaign's organisers. These handlers run first on Accept, Reject
and Announce and decline anything not from a relay, which goes on to federation.features.collaboration.
"""

from __future__ import annotations

import uuid

from federation import activities
from federation.context import Federation
from federation.delivery import enqueue
from federation.errors import FetchError
from federation.campaign_objects import attachments_of, post_hashtags, text_lines_off_loop
from federation.fetch import fetch_document, same_host
from federation.integrity import proven_object
from federation.handling import ANY, Feature, First, Incoming, Outcome, done, ignored
from federation.remote import account_for, fetch_actor
from federation.objects import clean_object
from federation.urls import AS_PUBLIC
from federation.vocab import POST_TYPES, content_and_language, id_of, ids, is_public, parse_time, type_of
from hub.clock import now
from hub.errors import InvalidInput
from hub.models import Account, Event, Group, RelaySubscription
from hub.services import campaigns, relays


# --- inbound --------------------------------------------------------------------------------------


async def _relay_answer(fed: Federation, item: Incoming, accepted: bool) -> Outcome | None:
    if await relays.answered(item.object_id, item.actor, accepted=accepted) is None:
        return None
    return done(f"relay {'accepted' if accepted else 'rejected'} our Follow")


async def on_accept(fed: Federation, item: Incoming) -> Outcome | None:
    """A relay accepted the instance actor's Follow; None for any other Accept (the next handler's)."""
    return await _relay_answer(fed, item, True)


async def on_reject(fed: Federation, item: Incoming) -> Outcome | None:
    """A relay rejected the instance actor's Follow; None for any other Reject (the next handler's)."""
    return await _relay_answer(fed, item, False)


async def _relayed_object(fed: Federation, item: Incoming) -> dict:
    """The post a relay announced: with a valid FEP-8b32 proof by its author as is, else fetched from its own origin."""
    target = item.object_id
    if item.obj is not None and type_of(item.obj) in ("Create", "Update"):
        target = id_of(item.obj.get("object")) or target
    if not target:
        raise FetchError("the Announce names no object")
    if fed.urls.is_local(target):
        raise FetchError("an Announce of this hub's own object")
    proven = await proven_object(fed, item.obj)  # FEP-8b32: a valid proof by its author spares the refetch
    if proven is not None and proven.get("id") == target:
        return proven
    return await fetch_document(fed.client, target, sign=await fed.instance_auth(), local_host=fed.urls.host)


async def on_relay_announce(fed: Federation, item: Incoming) -> Outcome:
    """A subscribed relay announced a public post: campaigns whose hashtag it carries hold it for organisers."""
    if item.obj is not None and type_of(item.obj) in ("Delete", "Undo", "Follow", "Accept"):
        return ignored(f"a relayed {type_of(item.obj)} is not a post")
    obj = await _relayed_object(fed, item)
    author_uri = id_of(obj.get("attributedTo"))
    if type_of(obj) not in POST_TYPES or not author_uri or not same_host(author_uri, obj["id"]):
        return ignored("the relayed object is not a post by an actor of its own server")
    if not (is_public(ids(obj.get("to"))) or is_public(ids(obj.get("cc")))):
        return ignored("the relayed post is not public")
    content, language = content_and_language(obj)
    text = await text_lines_off_loop(content)
    tags = post_hashtags(obj, text)
    if not await campaigns.campaigns_for(tags):
        return ignored("the relayed post carries no running campaign's hashtag")
    author = await account_for(fed, author_uri)
    url = obj.get("url") if isinstance(obj.get("url"), str) and obj["url"].startswith(("http://", "https://")) else None
    gathered = await campaigns.gather_relay_post(
        author, uri=obj["id"], url=url, content_html=(await clean_object(obj)).content_html, published_at=parse_time(obj.get("published")) or now(),
        hashtags=tags, attachments=attachments_of(obj), language=language,
    )
    return done(f"relayed post gathered by {len(gathered)} campaign(s)" if gathered else "relayed post already gathered or refused")


async def on_announce(fed: Federation, item: Incoming) -> Outcome | None:
    """Announces by a subscribed relay feed campaigns; None for any other Announce (the next handler's)."""
    if await relays.accepted_relay(item.actor) is not None:
        return await on_relay_announce(fed, item)
    return None


# --- outbound ------------------------------------------------------------------------------------


async def on_relay_follow(fed: Federation, event: Event, group: Group | None) -> None:
    """The instance actor follows the relay: Follow of Public (LitePub style, as Mastodon and Pleroma send it)."""
    relay = await RelaySubscription.get(id=event.payload["relay_id"])
    follow = {
        "@context": activities.AS_CONTEXT, "id": relay.follow_uri, "type": "Follow", "actor": fed.urls.instance_actor,
        "object": AS_PUBLIC, "to": [relay.actor_uri],
    }
    await enqueue(follow, actor_uri=fed.urls.instance_actor, inboxes=[relay.inbox])


async def on_relay_undo(fed: Federation, event: Event, group: Group | None) -> None:
    """The instance actor stops following the relay."""
    relay = await RelaySubscription.get(id=event.payload["relay_id"])
    undo = {
        "@context": activities.AS_CONTEXT, "id": f"{relay.follow_uri}/undo", "type": "Undo", "actor": fed.urls.instance_actor,
        "to": [relay.actor_uri],
        "object": {"id": relay.follow_uri, "type": "Follow", "actor": fed.urls.instance_actor, "object": AS_PUBLIC},
    }
    await enqueue(undo, actor_uri=fed.urls.instance_actor, inboxes=[relay.inbox])



async def subscribe(fed: Federation, actor_url: str, *, by: Account | None = None) -> RelaySubscription:
    """Subscribe the hub to the relay whose actor is at ``actor_url`` (its document fetched first, for its inbox);
    InvalidInput for something that is not an http(s) URL or whose actor cannot be fetched."""
    actor_url = (actor_url or "").strip()
    if not actor_url.startswith(("http://", "https://")) or " " in actor_url:
        raise InvalidInput("name the relay by its actor URL, e.g. https://relay.example/actor")
    try:
        actor = await fetch_actor(fed, actor_url, refresh=True)
    except FetchError as exc:
        raise InvalidInput(f"could not fetch the relay's actor at {actor_url}: {exc.reason}") from None
    follow_uri = f"{fed.urls.instance_actor}/follows/{uuid.uuid4().hex}"
    return await relays.follow(actor.uri, inbox=actor.inbox, follow_uri=follow_uri, by=by)


FEATURE = Feature(
    name="relays",
    inbound={
        ("Accept", ANY): First(on_accept),
        ("Reject", ANY): First(on_reject),
        ("Announce", ANY): First(on_announce),
    },
    outbound={
        "relay.follow": on_relay_follow,
        "relay.undo": on_relay_undo,
    },
)
"""The hub's relay subscriptions; their Accepts, Rejects and Announces are taken before collaboration's."""
