"""An account's membership of a group: its lifecycle state and its role."""

from tortoise import fields
from tortoise.models import Model


class Membership(Model):
    """One account in one group; see hub.lifecycle.MEMBERSHIP for the states."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="memberships", on_delete=fields.CASCADE)
    """The group."""
    account = fields.ForeignKeyField("models.Account", related_name="memberships", on_delete=fields.CASCADE)
    """The member."""
    state = fields.CharField(max_length=16)
    """pending, accepted, rejected, left, removed, gone or banned."""
    role = fields.CharField(max_length=16, default="member")
    """owner, admin, moderator or member."""
    follow_uri = fields.CharField(max_length=1024, null=True)
    """The id of the Follow that asked to join; the Accept/Reject names it."""
    banned_until = fields.DatetimeField(null=True)
    """End of a temporary ban; null for permanent bans and everyone else."""
    reason = fields.TextField(null=True)
    """Why the last moderation decision (reject, remove, ban) was taken."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the membership was first asked for."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When the state or role last changed."""

    class Meta:
        table = "memberships"
        unique_together = (("group", "account"),)
        indexes = (("group", "state"), ("group", "state", "created_at"))
