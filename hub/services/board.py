"""Needs and offers: in a crisis members post what they need and what they can give; organisers match them.

A member's ordinary post becomes a board item when it starts a line with a keyword (``need:
drinking water, north district``, ``offer: …``, ``necesito: …``) or carries a hashtag such as
``#need`` / ``#offer``. :func:`suggest_matches` pairs open needs with open offers that share words
(keyword overlap, a few stop words and plurals folded); organisers mark a need met, optionally
with the offer that met it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import InvalidInput, NotFound
from hub.lifecycle import BOARD_ITEM
from hub.models import Account, BoardItem, Campaign, Group, Membership, Post, Tombstone
from hub.services import moderation_log
from hub.services.members import MODERATOR_ROLES, require_role

KINDS = ("need", "offer")
MAX_TEXT = 1000
KEYWORDS: dict[str, tuple[str, ...]] = {
    "need": ("need", "needs", "needed", "necesito", "necesitamos", "se necesita", "besoin", "brauche", "benötigt",
             "preciso", "precisamos", "serve", "cal"),
    "offer": ("offer", "offering", "offers", "ofrezco", "ofrecemos", "je propose", "propose", "biete", "ofereço",
              "offro", "ofereixo"),
}
"""Words that open a need or offer line (``word: text``) or name it as a hashtag (``#word``)."""
_HASHTAGS = {kind: {re.sub(r"\W", "", w.casefold()) for w in words} for kind, words in KEYWORDS.items()}
STOP_WORDS = frozenset(
    "a an and are at be by can for from have i in is it me my near of on or our please some the to we with you your "
    "need needs offer offering have has any anyone who can will would like".split()
)
_WORD = re.compile(r"[^\W\d_][\w'-]{1,}")


@dataclass(frozen=True)
class Match:
    """A suggested pairing of an open need with an open offer."""

    need: BoardItem
    offer: BoardItem
    shared: tuple[str, ...]
    """The words they have in common."""

    @property
    def score(self) -> int:
        """How many words they share."""
        return len(self.shared)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def keywords(text: str) -> list[str]:
    """The words of ``text`` used for matching: lower-case, no stop words or hashtags' '#', plurals folded."""
    out = []
    for match in _WORD.finditer(_fold(text)):
        word = match.group().strip("'-")
        if len(word) >= 3 and word not in STOP_WORDS:
            out.append(_stem(word))
    return list(dict.fromkeys(out))


def parse_post(text: str, hashtags: list[str] = ()) -> list[tuple[str, str]]:
    """(kind, text) of each need or offer a post states: ``need: …`` lines, or the whole text with ``#need``/``#offer``."""
    found: list[tuple[str, str]] = []
    for line in re.split(r"[\n\r]+", text or ""):
        stripped = re.sub(r"^(?:@[\w.@:-]+\s*)+", "", line.strip())
        for kind, words in KEYWORDS.items():
            pattern = r"^(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\s*:\s*(.+)$"
            match = re.match(pattern, stripped, re.IGNORECASE)
            if match:
                found.append((kind, match.group(1).strip()))
                break
    if found:
        return found
    tags = {re.sub(r"\W", "", t.casefold()) for t in hashtags}
    body = re.sub(r"(?<!\w)[@#][\w.@:-]+", " ", text or "")
    body = " ".join(body.split())
    for kind in KINDS:
        if tags & _HASHTAGS[kind] and body:
            found.append((kind, body))
    return found


async def add_item(
    group: Group, author: Account, kind: str, text: str, *, post_uri: str | None = None, url: str | None = None,
    campaign: Campaign | None = None,
) -> BoardItem:
    """Put a need or an offer on the group's board (idempotent per post and kind)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be {' or '.join(KINDS)}")
    text = " ".join((text or "").split())[:MAX_TEXT]
    if not text:
        raise InvalidInput("a need or offer says what it is")
    if post_uri is not None:
        existing = await BoardItem.get_or_none(group=group, post_uri=post_uri, kind=kind)
        if existing is not None:
            return existing
    return await BoardItem.create(
        group=group, campaign=campaign, kind=kind, text=text, keywords=keywords(text), author=author,
        post_uri=post_uri, url=url, state="open",
    )


async def get_item(item_id: int, *, group: Group | None = None) -> BoardItem:
    """The board item with this id (on ``group``'s board when given), or NotFound."""
    item = await BoardItem.get_or_none(id=item_id)
    if item is None or (group is not None and item.group_id != group.id):
        raise NotFound(f"no need or offer #{item_id}")
    return item


async def items(group: Group, *, state: str | None = "open", kind: str | None = None, campaign: Campaign | None = None) -> list[BoardItem]:
    """Board items, newest first, with their authors; what moderation or the author took away is gone.

    Items whose post was deleted, removed by moderators or is held, items by authors banned from the
    group, and items organisers removed are never listed (``state=None``: open and met ones).
    """
    deleted = Subquery(Tombstone.all().values("uri"))
    unpublished = Subquery(Post.filter(group=group).exclude(state="published").values("uri"))
    banned = Subquery(Membership.filter(group=group, state="banned").values("account_id"))
    query = (
        BoardItem.filter(group=group)
        .filter(Q(post_uri__isnull=True) | (Q(post_uri__not_in=deleted) & Q(post_uri__not_in=unpublished)))
        .filter(author_id__not_in=banned)
    )
    query = query.filter(state=state) if state is not None else query.exclude(state="removed")
    if kind is not None:
        query = query.filter(kind=kind)
    if campaign is not None:
        query = query.filter(campaign=campaign)
    return await query.order_by("-id").prefetch_related("author")


def match_pairs(needs: list[BoardItem], offers: list[BoardItem], *, limit: int = 50) -> list[Match]:
    """Pairs of needs and offers sharing at least one keyword, best first (pure: no database)."""
    pairs = []
    for need in needs:
        need_words = set(need.keywords or keywords(need.text))
        for offer in offers:
            if offer.author_id == need.author_id:
                continue
            shared = need_words & set(offer.keywords or keywords(offer.text))
            if shared:
                pairs.append(Match(need, offer, tuple(sorted(shared))))
    pairs.sort(key=lambda m: (-m.score, m.need.id, m.offer.id))
    return pairs[:limit]


async def suggest_matches(group: Group, *, limit: int = 50) -> list[Match]:
    """Suggested matches between the group's open needs and open offers, for organisers."""
    return match_pairs(await items(group, kind="need"), await items(group, kind="offer"), limit=limit)


async def mark_met(item: BoardItem, *, by: Account | None = None, matched_with: BoardItem | None = None) -> BoardItem:
    """Organisers mark a need (or offer) met, optionally with the item that met it (which is marked met too)."""
    group = await Group.get(id=item.group_id)
    await require_role(group, by, MODERATOR_ROLES)
    if matched_with is not None and (matched_with.group_id != item.group_id or matched_with.kind == item.kind):
        raise InvalidInput("a need is met by an offer on the same board")
    async with in_transaction():
        for row, other in ((item, matched_with), (matched_with, item)):
            if row is None or row.state == "met":
                continue
            BOARD_ITEM.check(row.state, "met")
            row.state, row.met_at, row.matched_with = "met", now(), other
            await row.save(update_fields=["state", "met_at", "matched_with_id"])
        await moderation_log.record(f"{item.kind}_met", item.post_uri or f"board item #{item.id}", group=group, by=by)
    return item


async def remove_item(item: BoardItem, *, by: Account | None = None, reason: str | None = None) -> BoardItem:
    """Organisers take a need or offer off the board for good (logged as ``board_item_removed``)."""
    group = await Group.get(id=item.group_id)
    await require_role(group, by, MODERATOR_ROLES)
    if item.state == "removed":
        return item
    async with in_transaction():
        BOARD_ITEM.check(item.state, "removed")
        item.state = "removed"
        await item.save(update_fields=["state"])
        await moderation_log.record("board_item_removed", item.post_uri or f"board item #{item.id}", group=group, by=by, reason=reason)
    return item


async def follow_edit(group: Group, author: Account, post_uri: str, stated: list[tuple[str, str]]) -> int:
    """The author edited their post: its needs and offers now say what the post says; how many items changed.

    An item whose kind the post no longer states is removed (the text the author took out must not stay
    public); the others get the new text. Items organisers marked met keep their state but not old text.
    """
    new = dict(stated)
    changed = 0
    async with in_transaction():
        for item in await BoardItem.filter(group=group, post_uri=post_uri, author=author).exclude(state="removed"):
            if item.kind in new:
                text = " ".join(new.pop(item.kind).split())[:MAX_TEXT]
                if text and text != item.text:
                    item.text, item.keywords = text, keywords(text)
                    await item.save(update_fields=["text", "keywords"])
                    changed += 1
                continue
            BOARD_ITEM.check(item.state, "removed")
            item.state = "removed"
            await item.save(update_fields=["state"])
            changed += 1
    return changed


async def reopen(item: BoardItem, *, by: Account | None = None) -> BoardItem:
    """Undo a mistaken "met"."""
    group = await Group.get(id=item.group_id)
    await require_role(group, by, MODERATOR_ROLES)
    BOARD_ITEM.check(item.state, "open")
    item.state, item.met_at, item.matched_with = "open", None, None
    await item.save(update_fields=["state", "met_at", "matched_with_id"])
    return item
