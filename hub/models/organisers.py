"""What organisers publish as the group and how they are told what waits for them."""

from tortoise import fields
from tortoise.models import Model


class Announcement(Model):
    """A post the organisers publish as the group itself (text, images with alt text, content warning)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="announcements", on_delete=fields.CASCADE)
    """The group that speaks."""
    text = fields.TextField()
    """The announcement, plain text (paragraphs separated by blank lines)."""
    summary = fields.CharField(max_length=500, null=True)
    """Content warning, plain text; None: none."""
    media_ids = fields.JSONField(default=list)
    """Ids of the attached MediaFile rows (each with its alt text), in order."""
    object_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The id of the group's Note once published."""
    state = fields.CharField(max_length=16, default="published")
    """published or deleted; see hub.lifecycle.ANNOUNCEMENT."""
    pinned = fields.BooleanField(default=False)
    """Featured on the group's pages and in its featured collection."""
    created_by = fields.ForeignKeyField("models.Account", related_name="announcements_made", null=True, on_delete=fields.SET_NULL)
    """The organiser who wrote it (None: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was published."""
    edited_at = fields.DatetimeField(null=True)
    """When it was last edited."""
    deleted_at = fields.DatetimeField(null=True)
    """When it was deleted."""

    class Meta:
        table = "announcements"
        indexes = (("group", "state"),)


class RefusalNotice(Model):
    """The last time a person was told why the group did not share their post, per reason (at most once a day)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="refusal_notices", on_delete=fields.CASCADE)
    """The group that refused."""
    account = fields.ForeignKeyField("models.Account", related_name="refusal_notices", on_delete=fields.CASCADE)
    """The person told."""
    reason = fields.CharField(max_length=32)
    """One of hub.services.refusals.REASONS."""
    sent_at = fields.DatetimeField()
    """When the last explanation was sent."""

    class Meta:
        table = "refusal_notices"
        unique_together = (("group", "account", "reason"),)


class OrganiserSettings(Model):
    """How one organiser of one group wants to be told what waits for them."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="organiser_settings", on_delete=fields.CASCADE)
    """The group they organise."""
    account = fields.ForeignKeyField("models.Account", related_name="organiser_settings", on_delete=fields.CASCADE)
    """The organiser."""
    direct_messages = fields.BooleanField(default=True)
    """Whether they get a direct message for each join request, report, held post and gathered post waiting."""
    email = fields.CharField(max_length=320, null=True)
    """An email address to tell as well (used only when the hub has SMTP settings)."""
    told_at = fields.JSONField(default=dict)
    """When they were last told of each kind of thing (kind -> ISO time), so a flood brings one message per kind."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When they last changed it."""

    class Meta:
        table = "organiser_settings"
        unique_together = (("group", "account"),)
