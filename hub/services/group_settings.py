"""A group's own settings beyond its profile: who may join and read (open, closed, private) and deleting it.

Access modes, as organisers choose them:

- ``open``: public group, anyone who follows is a member;
- ``closed``: public group, organisers approve each member;
- ``private``: members-only posts, unlisted, organisers approve each member.

Switching never rewrites what was already sent: posts already delivered stay as the receiving
servers got them. :func:`preview_access` says what a switch means for existing posts and requests,
so the console can say it before the organiser confirms.

Deleting a group (owners and instance admins) marks it deleted, tells each remote member by a
direct message from the hub itself, and records ``group.deleted``, on which the federation layer
sends the ``Delete`` of the group actor. Its pages then answer 410 Gone; its slug is never reused.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import InvalidInput
from hub.languages import ENGLISH, N_
from hub.models import Account, Group, Membership, Post
from hub.services import events, moderation_log, notices
from hub.services.members import ORGANISER_ROLES, require_role
from hub.services.profiles import update_profile

ACCESS_MODES: dict[str, tuple[str, str]] = {
    "open": ("public", "open"),
    "closed": ("public", "approval"),
    "private": ("private", "approval"),
}
"""Access mode -> (visibility, join policy)."""
OWNER_ROLES = ("owner",)


@dataclass(frozen=True)
class AccessChange:
    """What switching a group to another access mode means, counted now."""

    current: str
    target: str
    public_posts: int
    """Published public or unlisted posts: they stay public where they were delivered."""
    members_posts: int
    """Published members-only posts: they stay members-only whatever the new mode."""
    pending_requests: int
    """Join requests waiting for organisers (still waiting after a switch to open)."""

    @property
    def changes(self) -> bool:
        """Whether the target differs from the current mode."""
        return self.current != self.target

    @property
    def hides_public_posts(self) -> bool:
        """Switching to private: the hub's pages stop showing the public posts to anyone but members."""
        return self.target == "private" and self.current != "private"


def access_of(group: Group) -> str:
    """The group's access mode (``open``, ``closed`` or ``private``)."""
    if group.visibility == "private":
        return "private"
    return "open" if group.join_policy == "open" else "closed"


def _mode(mode: str) -> str:
    if mode not in ACCESS_MODES:
        raise InvalidInput(f"access must be one of {', '.join(ACCESS_MODES)}")
    return mode


async def preview_access(group: Group, mode: str) -> AccessChange:
    """What switching ``group`` to ``mode`` means for its existing posts and requests (nothing changes)."""
    published = Post.filter(group=group, state="published")
    return AccessChange(
        current=access_of(group), target=_mode(mode),
        public_posts=await published.filter(visibility__in=["public", "unlisted"]).count(),
        members_posts=await published.filter(visibility="members").count(),
        pending_requests=await Membership.filter(group=group, state="pending").count(),
    )


async def set_access(group: Group, mode: str, *, by: Account | None) -> Group:
    """Switch the group to ``mode`` (owners and admins); the changed actor goes out as an Update."""
    await require_role(group, by, ORGANISER_ROLES)
    visibility, join_policy = ACCESS_MODES[_mode(mode)]
    if (group.visibility, group.join_policy) == (visibility, join_policy):
        return group
    async with in_transaction():
        group.visibility, group.join_policy = visibility, join_policy
        await group.save(update_fields=["visibility", "join_policy", "updated_at"])
        await events.record("group.updated", group, by=by.uri if by else None, access=mode)
    return group


async def edit(
    group: Group, *, by: Account | None, name: str | None = None, summary: str | None = None, rules: str | None = None,
    posting_mode: str | None = None, access: str | None = None,
) -> Group:
    """Change only the given parts of the profile and, when given, the access mode (the CLI's ``hub group edit``).

    Everything is checked before anything changes: a bad value leaves the group as it was.
    """
    if access is not None:
        _mode(access)
    profile = (name, summary, rules, posting_mode)
    async with in_transaction():
        if access is not None:
            await set_access(group, access, by=by)
        if any(value is not None for value in profile):
            await update_profile(
                group, by=by, name=group.name if name is None else name,
                summary=group.summary if summary is None else summary, rules=group.rules if rules is None else rules,
                join_policy=group.join_policy, posting_mode=group.posting_mode if posting_mode is None else posting_mode,
            )
    return group


DELETION_NOTICE = N_("The group %(name)s (@%(slug)s@%(domain)s) was deleted by its organisers. "
                     "You are no longer a member and will get nothing more from it.")
"""The direct message members get when their group is deleted (each in their own language)."""
DELETION_NOTICE_BY_ADMINISTRATORS = N_("The group %(name)s (@%(slug)s@%(domain)s) was deleted by the hub's "
                                       "administrators. You are no longer a member and will get nothing more from it.")
"""The same when the hub's administrators deleted it."""


def deletion_notice(group: Group, domain: str, translations: gettext.NullTranslations = ENGLISH, *,
                    by_administrators: bool = False) -> str:
    """:data:`DELETION_NOTICE` (or the administrators') for ``group``, in the language of ``translations``."""
    message = DELETION_NOTICE_BY_ADMINISTRATORS if by_administrators else DELETION_NOTICE
    return translations.gettext(message) % {"name": group.name, "slug": group.slug, "domain": domain}


async def delete_group(group: Group, *, by: Account | None, notice: str | None = None,
                       by_administrators: bool = False) -> int:
    """Delete the group (owners and instance admins): members are told, then the actor's Delete goes out.

    Members get ``notice`` when given, else :data:`DELETION_NOTICE` in each one's language (sent with the
    ``group.deleted`` event). Returns how many members are told. The row stays (marked deleted) for the
    key that signs the Delete.
    """
    await require_role(group, by, OWNER_ROLES)
    if group.deleted_at is not None:
        return 0
    async with in_transaction():
        group.deleted_at = now()
        await group.save(update_fields=["deleted_at", "updated_at"])
        told = 0
        for membership in await Membership.filter(group=group, state="accepted").prefetch_related("account"):
            if not membership.account.is_local:
                if notice is not None:
                    await notices.send_notice(membership.account, notice)
                told += 1
        await events.record("group.deleted", group, by=by.uri if by else None, notify=notice is None,
                            by_administrators=by_administrators)
        await moderation_log.record("group_deleted", group.slug, group=group, by=by)
    return told
