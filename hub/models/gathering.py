"""Gatherings: the events a group organises (assemblies, strikes, clean-ups) and who is coming.

Named *gathering* so it is never confused with ``hub.models.queue.Event``, the domain events of the
transactional outbox. On the wire a gathering is an ActivityStreams ``Event`` shaped as Mobilizon
publishes it (see federation/features/gatherings.py).
"""

from tortoise import fields
from tortoise.models import Model


class Gathering(Model):
    """An event organised by a local group: when (with its IANA time zone), where, how many, who approves."""

    id = fields.IntField(primary_key=True)
    """Row id (the ID of ``hub event edit|cancel``)."""
    group = fields.ForeignKeyField("models.Group", related_name="gatherings", on_delete=fields.CASCADE)
    """The group that organises it."""
    title = fields.CharField(max_length=200)
    """Its name (plain text)."""
    description = fields.TextField(default="")
    """What it is about (plain text; paragraphs separated by blank lines)."""
    starts_at = fields.DatetimeField()
    """When it starts (stored in UTC)."""
    ends_at = fields.DatetimeField()
    """When it ends (stored in UTC), after ``starts_at``."""
    timezone = fields.CharField(max_length=64)
    """The IANA time zone the organisers gave (``Europe/Lisbon``); times are shown in it."""
    place_name = fields.CharField(max_length=200, default="")
    """Name of the place (``Town hall``); empty for online-only events."""
    street_address = fields.CharField(max_length=300, default="")
    """Street and number."""
    locality = fields.CharField(max_length=200, default="")
    """Town or city."""
    region = fields.CharField(max_length=200, default="")
    """Region or state."""
    postal_code = fields.CharField(max_length=32, default="")
    """Postal code."""
    country = fields.CharField(max_length=100, default="")
    """Country."""
    latitude = fields.FloatField(null=True)
    """Latitude of the place in degrees (-90..90), if given."""
    longitude = fields.FloatField(null=True)
    """Longitude of the place in degrees (-180..180), if given."""
    online_url = fields.CharField(max_length=1024, null=True)
    """An http(s) link to join online, if any."""
    capacity = fields.IntField(null=True)
    """How many people may come; null: no limit. Further RSVPs go on the waiting list."""
    join_mode = fields.CharField(max_length=16, default="free")
    """free (anyone who RSVPs is going) or restricted (organisers approve each RSVP), as Mobilizon's joinMode."""
    image = fields.ForeignKeyField("models.MediaFile", related_name="gatherings", null=True, on_delete=fields.SET_NULL)
    """An image with alt text, uploaded by organisers."""
    state = fields.CharField(max_length=16, default="scheduled")
    """scheduled or cancelled; see hub.lifecycle.GATHERING."""
    remind_before = fields.JSONField(default=list)
    """Minutes before the start at which people going get a reminder by direct message ([1440, 60] by default)."""
    reminded = fields.JSONField(default=list)
    """The entries of ``remind_before`` already sent for the current start time."""
    sequence = fields.IntField(default=0)
    """Revision number, raised by every change of time, place or state (iCalendar SEQUENCE)."""
    created_by = fields.ForeignKeyField("models.Account", related_name="gatherings_made", null=True, on_delete=fields.SET_NULL)
    """The organiser who created it (null: the CLI)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it was created."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When it last changed."""
    cancelled_at = fields.DatetimeField(null=True)
    """When organisers cancelled it."""

    class Meta:
        table = "gatherings"
        indexes = (("group", "starts_at"), ("state", "starts_at"))


class Rsvp(Model):
    """Someone's answer to a gathering: going, maybe, not going, waiting for a place or for approval."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    gathering = fields.ForeignKeyField("models.Gathering", related_name="rsvps", on_delete=fields.CASCADE)
    """The gathering answered."""
    account = fields.ForeignKeyField("models.Account", related_name="rsvps", on_delete=fields.CASCADE)
    """Who answered."""
    status = fields.CharField(max_length=16)
    """going, maybe, declined, waiting (full: on the waiting list), pending (awaiting approval) or refused."""
    via = fields.CharField(max_length=16)
    """join, leave, accept, tentative, reject, vote, reply, web or cli: how the answer came."""
    activity_uri = fields.CharField(max_length=1024, null=True)
    """The activity that carried the latest answer (a Join's id is what Mobilizon's Accept names)."""
    arrived_at = fields.DatetimeField()
    """When the person asked for a place; the waiting list is served in this order."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When the answer last changed."""

    class Meta:
        table = "rsvps"
        unique_together = (("gathering", "account"),)
        indexes = (("gathering", "status", "arrived_at"),)


class RemoteGathering(Model):
    """An ``Event`` published by a group a local group follows: stored to list it with its origin."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    uri = fields.CharField(max_length=1024, unique=True)
    """The Event's id on its home server."""
    origin = fields.ForeignKeyField("models.Account", related_name="remote_gatherings", on_delete=fields.CASCADE)
    """The followed group (or person) that published it."""
    url = fields.CharField(max_length=1024, null=True)
    """Its page on its home server."""
    title = fields.CharField(max_length=200)
    """Its name (plain text)."""
    summary = fields.TextField(default="")
    """Its description as plain text (at most 2,000 characters)."""
    starts_at = fields.DatetimeField()
    """When it starts."""
    ends_at = fields.DatetimeField(null=True)
    """When it ends, if given."""
    timezone = fields.CharField(max_length=64, null=True)
    """Its IANA time zone, when it named a valid one."""
    place = fields.CharField(max_length=500, default="")
    """Where, as one line of text (place name and address)."""
    online_url = fields.CharField(max_length=1024, null=True)
    """Its online link, if any."""
    state = fields.CharField(max_length=16, default="scheduled")
    """scheduled or cancelled (``ical:status`` CANCELLED)."""
    participant_count = fields.IntField(default=0)
    """participantCount as last published."""
    capacity = fields.IntField(null=True)
    """maximumAttendeeCapacity as last published (null or 0: no limit)."""
    received_at = fields.DatetimeField(auto_now_add=True)
    """When the hub first received it."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When it last changed here."""

    class Meta:
        table = "remote_gatherings"
        indexes = (("starts_at",),)
