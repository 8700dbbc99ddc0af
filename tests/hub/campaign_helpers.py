"""Shared scene for the campaign service tests: a group, its owner and members (remote accounts)."""

from __future__ import annotations

from hub.clock import now
from hub.models import Account, Group, Membership, Post
from hub.services import accounts, members, posts


async def account(name: str, host: str = "social.example") -> Account:
    """A remote account ``name@host``."""
    return await accounts.remote_account(f"https://{host}/users/{name}", handle=f"{name}@{host}")


async def member(group: Group, name: str, *, role: str = "member", host: str = "social.example") -> Account:
    """An accepted member with a role."""
    who = await account(name, host)
    decision = await members.request_join(group, who, follow_uri=f"https://{host}/follows/{name}", pre_approved=True)
    if role != "member":
        await Membership.filter(id=decision.membership.id).update(role=role)
    return who


async def group_post(group: Group, author: Account, uri: str, html: str = "<p>hi</p>", visibility: str = "public") -> Post:
    """A published post by a member."""
    draft = posts.PostDraft(uri=uri, activity_uri=f"{uri}/activity", object_type="Note", content_html=html,
                            visibility=visibility, published_at=now(), activity_json="{}")
    return (await posts.submit(group, author, draft)).post
