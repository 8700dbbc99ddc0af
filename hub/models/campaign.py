"""Campaigns and what groups do in them: gathered posts, calls to action, needs and offers, alerts, relays, media."""

from tortoise import fields
from tortoise.models import Model


class MediaFile(Model):
    """An image uploaded by organisers: checked, stripped of metadata, resized, stored under HUB_DATA_DIR/media."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    name = fields.CharField(max_length=64, unique=True)
    """Generated file name under the media directory (``<32 hex>.<ext>``)."""
    media_type = fields.CharField(max_length=32)
    """image/png, image/jpeg, image/gif or image/webp, from the re-encoded bytes."""
    alt = fields.TextField()
    """Alt text describing the image (required for local uploads)."""
    width = fields.IntField()
    """Width in pixels after resizing."""
    height = fields.IntField()
    """Height in pixels after resizing."""
    size = fields.IntField()
    """Bytes stored."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was uploaded."""

    class Meta:
        table = "media_files"


class Campaign(Model):
    """A named campaign of a group (or a collaboration): hashtags, a goal, dates, a page and a fundraising figure."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="campaigns", on_delete=fields.CASCADE)
    """The group or collaboration running it."""
    slug = fields.CharField(max_length=64)
    """URL name, unique within the group."""
    name = fields.CharField(max_length=200)
    """Display name."""
    hashtags = fields.JSONField(default=list)
    """Lower-case hashtags without '#' whose public posts the campaign gathers."""
    goal = fields.TextField(default="")
    """What the campaign wants to achieve (plain text)."""
    starts_at = fields.DatetimeField(null=True)
    """When it starts; null: already running."""
    ends_at = fields.DatetimeField(null=True)
    """When it ends; null: open-ended."""
    donation_url = fields.CharField(max_length=1024, null=True)
    """An http(s) donation page (the hub handles no payments)."""
    fundraising_target = fields.IntField(null=True)
    """Fundraising goal as a whole number, in ``fundraising_unit``."""
    fundraising_progress = fields.IntField(default=0)
    """Amount raised so far, as organisers report it."""
    fundraising_unit = fields.CharField(max_length=16, default="")
    """Currency or unit shown beside the figures (EUR, USD, …)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was created."""

    class Meta:
        table = "campaigns"
        unique_together = (("group", "slug"),)


class CampaignPost(Model):
    """A public post gathered by a campaign: by a member (published in the group) or from a relay (moderated)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="gathered", on_delete=fields.CASCADE)
    """The campaign whose hashtag it carries."""
    post = fields.ForeignKeyField("models.Post", related_name="campaign_entries", null=True, on_delete=fields.SET_NULL)
    """The group post, for posts by members."""
    author = fields.ForeignKeyField("models.Account", related_name="campaign_posts", on_delete=fields.CASCADE)
    """Who wrote it."""
    uri = fields.CharField(max_length=1024)
    """The object id."""
    url = fields.CharField(max_length=1024, null=True)
    """Its HTML page on its home server."""
    content_html = fields.TextField(default="")
    """Sanitised HTML content."""
    language = fields.CharField(max_length=16, null=True)
    """Language tag of the content (its contentMap key), when known."""
    attachments = fields.JSONField(default=list)
    """Images: [{url, media_type, alt}] with the alt text as sent."""
    source = fields.CharField(max_length=16)
    """member or relay."""
    state = fields.CharField(max_length=16)
    """pending, approved or hidden; see hub.lifecycle.CAMPAIGN_POST."""
    published_at = fields.DatetimeField()
    """``published`` of the object."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the campaign gathered it."""

    class Meta:
        table = "campaign_posts"
        unique_together = (("campaign", "uri"),)
        indexes = (("campaign", "state"),)


class CallToAction(Model):
    """A call published by organisers: what, where, when and how many people are needed; answered "I'm in"."""

    id = fields.IntField(primary_key=True)
    """Row id (the ID of ``hub call close``)."""
    group = fields.ForeignKeyField("models.Group", related_name="calls", on_delete=fields.CASCADE)
    """The group that publishes it."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="calls", null=True, on_delete=fields.SET_NULL)
    """The campaign it belongs to, if any."""
    kind = fields.CharField(max_length=16, default="shift")
    """shift, petition, demonstration or other."""
    what = fields.CharField(max_length=500)
    """What is asked for (plain text)."""
    where_text = fields.CharField(max_length=500, default="")
    """Where (plain text)."""
    when_text = fields.CharField(max_length=200, default="")
    """When (plain text, as organisers wrote it)."""
    starts_at = fields.DatetimeField(null=True)
    """When it starts (UTC); None for calls written before calls had a real time (``when_text`` then)."""
    time_zone = fields.CharField(max_length=64, null=True)
    """The IANA zone the organiser gave the time in (the group's zone by default)."""
    details = fields.TextField(default="")
    """More about it (plain text)."""
    needed = fields.IntField()
    """How many people are needed."""
    state = fields.CharField(max_length=16, default="open")
    """open or closed; see hub.lifecycle.CALL."""
    non_members = fields.CharField(max_length=16, default="apart")
    """apart (non-members' answers shown separately, not counted) or ignore."""
    object_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The group's own Question (poll "I'm in") that carries the call on the wire."""
    image = fields.ForeignKeyField("models.MediaFile", related_name="calls", null=True, on_delete=fields.SET_NULL)
    """An image attached by organisers."""
    created_by = fields.ForeignKeyField("models.Account", related_name="calls_made", null=True, on_delete=fields.SET_NULL)
    """The organiser who published it (null: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was published."""
    closed_at = fields.DatetimeField(null=True)
    """When organisers closed it."""

    class Meta:
        table = "calls"
        indexes = (("group", "state"),)


class Signup(Model):
    """Someone's "I'm in" to a call: by a reply with a keyword, a poll vote, or on the web."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    call = fields.ForeignKeyField("models.CallToAction", related_name="signups", on_delete=fields.CASCADE)
    """The call answered."""
    account = fields.ForeignKeyField("models.Account", related_name="signups", on_delete=fields.CASCADE)
    """Who signed up."""
    via = fields.CharField(max_length=8)
    """reply, vote or web."""
    member = fields.BooleanField()
    """Whether they were a member of the group when they answered."""
    activity_uri = fields.CharField(max_length=1024, null=True)
    """The activity that carried the answer."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When they signed up."""

    class Meta:
        table = "signups"
        unique_together = (("call", "account"),)


class BoardItem(Model):
    """A need or an offer posted by a member, open until organisers mark it met."""

    id = fields.IntField(primary_key=True)
    """Row id (the ID of ``hub board met``)."""
    group = fields.ForeignKeyField("models.Group", related_name="board_items", on_delete=fields.CASCADE)
    """The group whose board it is on."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="board_items", null=True, on_delete=fields.SET_NULL)
    """The campaign it was posted under (by hashtag), if any."""
    kind = fields.CharField(max_length=8)
    """need or offer."""
    text = fields.TextField()
    """What is needed or offered (plain text, without the keyword)."""
    keywords = fields.JSONField(default=list)
    """Normalised words used to suggest matches."""
    author = fields.ForeignKeyField("models.Account", related_name="board_items", on_delete=fields.CASCADE)
    """Who posted it."""
    post_uri = fields.CharField(max_length=1024, null=True)
    """The post it came from."""
    url = fields.CharField(max_length=1024, null=True)
    """The post's page on its home server."""
    state = fields.CharField(max_length=16, default="open")
    """open or met; see hub.lifecycle.BOARD_ITEM."""
    matched_with = fields.ForeignKeyField("models.BoardItem", related_name="matches", null=True, on_delete=fields.SET_NULL)
    """The offer that met a need (or the need an offer met)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was posted."""
    met_at = fields.DatetimeField(null=True)
    """When organisers marked it met."""

    class Meta:
        table = "board_items"
        unique_together = (("group", "post_uri", "kind"),)
        indexes = (("group", "state"),)


class Alert(Model):
    """An urgent alert from organisers: pinned on the group's pages, sent as direct messages to opted-in members."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="alerts", on_delete=fields.CASCADE)
    """The group that sent it."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="alerts", null=True, on_delete=fields.SET_NULL)
    """The campaign it belongs to, if any."""
    text = fields.TextField()
    """The alert (plain text)."""
    object_uri = fields.CharField(max_length=1024, null=True, unique=True)
    """The group's own public Note of the alert."""
    pinned = fields.BooleanField(default=True)
    """Shown at the top of the group's pages until unpinned."""
    recipients = fields.IntField(default=0)
    """How many opted-in members it was sent to."""
    image = fields.ForeignKeyField("models.MediaFile", related_name="alerts", null=True, on_delete=fields.SET_NULL)
    """An image attached by organisers."""
    created_by = fields.ForeignKeyField("models.Account", related_name="alerts_sent", null=True, on_delete=fields.SET_NULL)
    """The organiser who sent it (null: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was sent."""

    class Meta:
        table = "alerts"
        indexes = (("group", "pinned"),)


class AlertSubscription(Model):
    """A member who asked for urgent alerts by direct message (replied "alerts on")."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    group = fields.ForeignKeyField("models.Group", related_name="alert_subscriptions", on_delete=fields.CASCADE)
    """The group whose alerts they want."""
    account = fields.ForeignKeyField("models.Account", related_name="alert_subscriptions", on_delete=fields.CASCADE)
    """The member."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When they opted in."""

    class Meta:
        table = "alert_subscriptions"
        unique_together = (("group", "account"),)


class AlertMute(Model):
    """A member who switched off the alerts of one campaign (they still get the group's other alerts)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    campaign = fields.ForeignKeyField("models.Campaign", related_name="alert_mutes", on_delete=fields.CASCADE)
    """The campaign whose alerts they do not want."""
    account = fields.ForeignKeyField("models.Account", related_name="alert_mutes", on_delete=fields.CASCADE)
    """The member."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When they switched them off."""

    class Meta:
        table = "alert_mutes"
        unique_together = (("campaign", "account"),)


class RelaySubscription(Model):
    """The hub's subscription to an ActivityPub relay (Follow of Public by the instance actor, then Announces)."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    actor_uri = fields.CharField(max_length=1024, unique=True)
    """The relay's actor id."""
    inbox = fields.CharField(max_length=1024)
    """The relay's inbox, where the Follow goes."""
    follow_uri = fields.CharField(max_length=1024, unique=True)
    """The id of the instance actor's Follow."""
    state = fields.CharField(max_length=16, default="pending")
    """pending, accepted, rejected or undone; see hub.lifecycle.RELAY."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the Follow was sent."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When the state last changed."""

    class Meta:
        table = "relay_subscriptions"
