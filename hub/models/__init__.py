"""Tortoise models of the domain. Alembic migrations create their tables; tortoise never does at run time."""

from hub.models.account import Account, RemoteActor
from hub.models.campaign import (
    Alert, AlertSubscription, BoardItem, CallToAction, Campaign, CampaignPost, MediaFile, RelaySubscription, Signup,
)
from hub.models.collaboration import Collaboration, GroupFollow, Invite
from hub.models.group import Group
from hub.models.instance import InstanceKey, Peer
from hub.models.membership import Membership
from hub.models.moderation import DomainBlock, LoginFailure, LoginToken, ModerationAction, QueueSample, Report
from hub.models.post import Post, Tombstone
from hub.models.queue import Delivery, Event, InboxItem

__all__ = [
    "Alert",
    "AlertSubscription",
    "BoardItem",
    "CallToAction",
    "Campaign",
    "CampaignPost",
    "MediaFile",
    "RelaySubscription",
    "Signup",
    "Collaboration",
    "DomainBlock",
    "GroupFollow",
    "Invite",
    "LoginFailure",
    "LoginToken",
    "ModerationAction",
    "QueueSample",
    "Report",
    "Account",
    "Delivery",
    "Event",
    "Group",
    "InboxItem",
    "InstanceKey",
    "Membership",
    "Peer",
    "Post",
    "RemoteActor",
    "Tombstone",
]
