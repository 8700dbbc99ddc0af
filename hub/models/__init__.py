"""Tortoise models of the domain. Alembic migrations create their tables; tortoise never does at run time."""

from hub.models.account import Account, RemoteActor
from hub.models.campaign import (
    Alert, AlertMute, AlertSubscription, BoardItem, CallToAction, Campaign, CampaignPost, MediaFile, RelaySubscription, Signup,
)
from hub.models.gathering import Gathering, RemoteGathering, Rsvp
from hub.models.decision import Decision, Vote
from hub.models.library import LibraryEntry
from hub.models.collaboration import Collaboration, CollaborationModerator, GroupFollow, Invite, PartnerCall
from hub.models.group import Group
from hub.models.instance import InstanceKey, InstanceSetting, Peer
from hub.models.membership import Membership
from hub.models.organisers import Announcement, OrganiserSettings, RefusalNotice
from hub.models.moderation import DomainBlock, LoginFailure, LoginToken, ModerationAction, QueueSample, Report
from hub.models.post import Post, Tombstone
from hub.models.queue import Delivery, Event, InboxItem, MetricCount, RateBucket, WorkerHeartbeat
from hub.models.session import Session, SignInRequest

__all__ = [
    "Announcement",
    "OrganiserSettings",
    "RefusalNotice",
    "Alert",
    "AlertMute",
    "AlertSubscription",
    "BoardItem",
    "CallToAction",
    "Campaign",
    "CampaignPost",
    "MediaFile",
    "RelaySubscription",
    "Signup",
    "Collaboration",
    "Decision",
    "LibraryEntry",
    "Vote",
    "DomainBlock",
    "CollaborationModerator",
    "GroupFollow",
    "PartnerCall",
    "Invite",
    "LoginFailure",
    "LoginToken",
    "ModerationAction",
    "QueueSample",
    "Report",
    "Account",
    "Delivery",
    "Event",
    "Gathering",
    "Group",
    "InboxItem",
    "InstanceKey",
    "InstanceSetting",
    "Membership",
    "MetricCount",
    "RateBucket",
    "Peer",
    "Post",
    "RemoteActor",
    "Session",
    "SignInRequest",
    "RemoteGathering",
    "Rsvp",
    "Tombstone",
    "WorkerHeartbeat",
]
