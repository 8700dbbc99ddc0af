"""Groups working with groups: follows of remote groups, collaborations, and invites."""

from tortoise import fields
from tortoise.models import Model


class GroupFollow(Model):
    """A local group following another group (usually remote): its posts reach the follower group."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="following", on_delete=fields.CASCADE)
    """The local group that follows."""
    target = fields.ForeignKeyField("models.Account", related_name="group_followers", on_delete=fields.CASCADE)
    """The followed group's account."""
    follow_uri = fields.CharField(max_length=1024, unique=True)
    """The id of the Follow the local group sent."""
    state = fields.CharField(max_length=16, default="pending")
    """pending, accepted, rejected or undone."""
    relay = fields.BooleanField(default=False)
    """Whether the local group re-announces the followed group's posts to its own members."""
    hashtag = fields.CharField(max_length=100, null=True)
    """When set (hashtags separated by spaces), only the followed group's posts carrying one of them (or addressed to the follower) are relayed."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the follow was sent."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When its state last changed."""

    class Meta:
        table = "group_follows"
        unique_together = (("group", "target"),)


class Collaboration(Model):
    """A shared space hosted here: a Group actor of its own whose members are the partner groups."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.OneToOneField("models.Group", related_name="collaboration", on_delete=fields.CASCADE)
    """The collaboration's own Group actor (kind = collaboration)."""
    host_group = fields.ForeignKeyField("models.Group", related_name="hosted_collaborations", on_delete=fields.CASCADE)
    """The local group that started it and invites partners."""
    ends_at = fields.DatetimeField(null=True)
    """Optional end date: after it the space relays nothing more."""
    hashtag = fields.CharField(max_length=100, default="")
    """Partners' posts carrying this hashtag (without ``#``) are shared into the space."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was created."""

    class Meta:
        table = "collaborations"


class CollaborationModerator(Model):
    """A moderator a partner group named for a shared space (kept by the partner's hub and by the space's host)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    space = fields.ForeignKeyField("models.Account", related_name="space_moderators", on_delete=fields.CASCADE)
    """The collaboration's Group actor (local at the host, remote at partners)."""
    partner = fields.ForeignKeyField("models.Account", related_name="named_moderators", on_delete=fields.CASCADE)
    """The partner group that named the moderator."""
    moderator = fields.ForeignKeyField("models.Account", related_name="moderates_spaces", on_delete=fields.CASCADE)
    """The person who may remove posts from and ban accounts in the space."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the partner named them."""

    class Meta:
        table = "collaboration_moderators"
        unique_together = (("space", "partner", "moderator"),)


class PartnerCall(Model):
    """A partner group's call to action counted in a space's campaign (its numbers as the partner last sent them)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="partner_calls", on_delete=fields.CASCADE)
    """The space's campaign whose hashtag the call carries."""
    partner = fields.ForeignKeyField("models.Account", related_name="partner_calls", on_delete=fields.CASCADE)
    """The partner group that published the call (credited with it)."""
    uri = fields.CharField(max_length=1024)
    """The call's Question id."""
    what = fields.CharField(max_length=500)
    """What the call asks for (its name or text)."""
    signups = fields.IntField()
    """Members signed up, as the partner counts them (the Question's votersCount)."""
    closed = fields.BooleanField(default=False)
    """Whether the partner closed the call."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When the partner's numbers last arrived."""

    class Meta:
        table = "partner_calls"
        unique_together = (("campaign", "uri"),)


class Invite(Model):
    """An invitation: a group invited to a collaboration, or a person invited to a group; sent or received."""

    id = fields.IntField(primary_key=True)
    """Row id (the INVITE_ID of the CLI)."""
    direction = fields.CharField(max_length=8)
    """outgoing (sent by a local group) or incoming (received by a local group)."""
    kind = fields.CharField(max_length=16)
    """collaboration (a group invited to a collaboration) or membership (a person invited to a group)."""
    group = fields.ForeignKeyField("models.Group", related_name="invites", on_delete=fields.CASCADE)
    """Outgoing: the inviting local group. Incoming: the invited local group."""
    collaboration = fields.ForeignKeyField("models.Collaboration", related_name="invites", null=True, on_delete=fields.CASCADE)
    """Outgoing collaboration invites: the collaboration offered."""
    counterpart = fields.ForeignKeyField("models.Account", related_name="invites", on_delete=fields.CASCADE)
    """Outgoing: the invited group or person. Incoming: the inviting group."""
    object_uri = fields.CharField(max_length=1024)
    """The Invite's object: the collaboration's (or group's) actor id."""
    object_name = fields.CharField(max_length=200, null=True)
    """Name of the collaboration or group offered, for display."""
    invite_uri = fields.CharField(max_length=1024, unique=True)
    """The Invite activity's id."""
    follow = fields.ForeignKeyField("models.GroupFollow", related_name="invites", null=True, on_delete=fields.SET_NULL)
    """Set when no Invite went out (the invited group's software ignores Invite): the collaboration space's follow of
    the invited group that stood in for it; that follow's Accept or Reject answers the invite."""
    state = fields.CharField(max_length=16, default="pending")
    """pending, accepted, rejected, revoked, expired or used; see hub.lifecycle.INVITE."""
    message = fields.TextField(null=True)
    """A personal note from the organisers."""
    created_by = fields.ForeignKeyField("models.Account", related_name="invites_sent", null=True, on_delete=fields.SET_NULL)
    """The organiser who sent or answered it (null: the CLI)."""
    expires_at = fields.DatetimeField()
    """After this an unanswered invite is expired."""
    answered_at = fields.DatetimeField(null=True)
    """When it was accepted, rejected, revoked or used."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was sent or received."""

    class Meta:
        table = "invites"
        indexes = (("group", "state"),)
