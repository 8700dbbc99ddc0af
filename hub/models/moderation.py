"""Moderation: the log of actions, reports (Flags), group-level domain blocks, sign-in links and wrong passwords."""

from tortoise import fields
from tortoise.models import Model


class ModerationAction(Model):
    """One moderation decision: who did what to whom, when and why (public log, minus reporters)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="moderation_log", null=True, on_delete=fields.CASCADE)
    """The group it concerns; null for instance-level actions."""
    moderator = fields.ForeignKeyField("models.Account", related_name="moderation_done", null=True, on_delete=fields.SET_NULL)
    """Who acted; null for the CLI or the system."""
    action = fields.CharField(max_length=32)
    """approve, reject, remove_member, ban, unban, remove_post, restore_post, role, domain_block, …"""
    target = fields.CharField(max_length=1024)
    """What it was done to: an actor id, a post id or a domain."""
    reason = fields.TextField(null=True)
    """Why, as given by the moderator."""
    expires_at = fields.DatetimeField(null=True)
    """End of a temporary measure (a ban with an end time)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was done."""

    class Meta:
        table = "moderation_actions"
        indexes = (("group", "id"),)


class Report(Model):
    """A report (Flag) about an account or posts, waiting for organisers or the instance admin."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="reports", null=True, on_delete=fields.CASCADE)
    """The group whose queue it is in; null for the instance admin's queue."""
    flag_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The Flag activity's id (null for reports made here)."""
    reporter_uri = fields.CharField(max_length=1024)
    """Who reported (an actor id, or the instance actor for forwarded reports); never shown publicly."""
    target_uri = fields.CharField(max_length=1024, null=True)
    """The reported account, when known."""
    object_uris = fields.JSONField(default=list)
    """The reported posts' ids."""
    comment = fields.TextField(default="")
    """The reporter's explanation (plain text)."""
    outgoing = fields.BooleanField(default=False)
    """True for reports this hub sent to another instance."""
    state = fields.CharField(max_length=16, default="open")
    """open, resolved or dismissed."""
    resolved_by = fields.ForeignKeyField("models.Account", related_name="reports_resolved", null=True, on_delete=fields.SET_NULL)
    """Who resolved or dismissed it."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it arrived."""
    resolved_at = fields.DatetimeField(null=True)
    """When it was resolved or dismissed."""

    class Meta:
        table = "reports"
        indexes = (("group", "state"),)


class DomainBlock(Model):
    """A group's block of a whole domain: nothing from it reaches the group (instance blocks are on Peer)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="domain_blocks", on_delete=fields.CASCADE)
    """The group that blocks."""
    domain = fields.CharField(max_length=255)
    """The blocked host."""
    reason = fields.TextField(null=True)
    """Why it was blocked."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When."""

    class Meta:
        table = "domain_blocks"
        unique_together = (("group", "domain"),)


class LoginToken(Model):
    """A single-use sign-in link sent to a fediverse account by direct message (15 minutes)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    account = fields.ForeignKeyField("models.Account", related_name="login_tokens", on_delete=fields.CASCADE)
    """The account the link signs in as."""
    token_hash = fields.CharField(max_length=64, unique=True)
    """SHA-256 hex of the token; the token itself is only in the message."""
    requested_ip = fields.CharField(max_length=64)
    """The address that asked for the link (rate limit per IP)."""
    expires_at = fields.DatetimeField()
    """After this the link no longer works."""
    used_at = fields.DatetimeField(null=True)
    """When the link was used (single use)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was requested."""

    class Meta:
        table = "login_tokens"


class LoginFailure(Model):
    """A wrong password given for a user name from an address; password sign-in is throttled on these (kept a day)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    username = fields.CharField(max_length=64)
    """The user name that was tried (whether or not such an account exists)."""
    address = fields.CharField(max_length=64)
    """Where the try came from: the IPv4 address, or the /64 network of an IPv6 address."""
    created_at = fields.DatetimeField()
    """When the wrong password was given."""

    class Meta:
        table = "login_failures"
        indexes = (("address", "created_at"), ("username", "address", "created_at"))


class QueueSample(Model):
    """A periodic sample of the delivery queue, for the admin's chart over time."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    sampled_at = fields.DatetimeField(db_index=True)
    """When it was taken."""
    queued = fields.IntField()
    """Deliveries waiting."""
    delivered = fields.IntField()
    """Deliveries delivered since the previous sample."""
    failed = fields.IntField()
    """Failed attempts since the previous sample."""
    dead = fields.IntField()
    """Deliveries given up in total."""

    class Meta:
        table = "queue_samples"
