"""The persistent queues: received activities, domain events to federate, and outgoing deliveries."""

from tortoise import fields
from tortoise.models import Model


class InboxItem(Model):
    """A verified activity stored by the inbox before processing (persist, then process)."""

    id = fields.BigIntField(primary_key=True)
    """Row id."""
    activity_uri = fields.CharField(max_length=1024, unique=True)
    """The activity id; the same id delivered twice is stored once."""
    actor_uri = fields.CharField(max_length=1024)
    """The actor that signed the request."""
    body = fields.TextField()
    """The activity JSON as received."""
    state = fields.CharField(max_length=16, default="pending")
    """pending, done, ignored or failed; see hub.lifecycle.INBOX_ITEM."""
    tries = fields.IntField(default=0)
    """Processing attempts so far."""
    lease_until = fields.DatetimeField(null=True)
    """A worker holds the item until then; an expired lease means the worker died."""
    next_try_at = fields.DatetimeField()
    """Not processed before this time."""
    last_error = fields.TextField(null=True)
    """Why processing last failed or why it was ignored."""
    received_at = fields.DatetimeField(auto_now_add=True)
    """When the inbox accepted it."""
    processed_at = fields.DatetimeField(null=True)
    """When processing finished."""

    class Meta:
        table = "inbox_items"
        indexes = (("state", "next_try_at"),)


class Event(Model):
    """A domain event recorded in the same transaction as the change it describes (transactional outbox)."""

    id = fields.BigIntField(primary_key=True)
    """Row id; events of one ``order_key`` are handled one at a time in id order (hub.queue.claim)."""
    kind = fields.CharField(max_length=64)
    """What happened: membership.accepted, post.published, post.deleted, …"""
    group = fields.ForeignKeyField("models.Group", related_name="events", null=True, on_delete=fields.CASCADE)
    """The group it happened in, if any."""
    payload = fields.JSONField(default=dict)
    """Plain values describing the event (ids, uris, reasons)."""
    order_key = fields.CharField(max_length=160, null=True)
    """What the event is about (``post:post_id=7``, ``membership:membership_id=3``): it waits for earlier pending
    events with the same key only (hub.services.events.order_key); None: no order to keep."""
    state = fields.CharField(max_length=16, default="pending")
    """pending, done or failed; see hub.lifecycle.EVENT."""
    tries = fields.IntField(default=0)
    """Handling attempts so far."""
    lease_until = fields.DatetimeField(null=True)
    """A worker holds the event until then."""
    next_try_at = fields.DatetimeField()
    """Not handled before this time."""
    last_error = fields.TextField(null=True)
    """Why handling last failed."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it happened."""

    class Meta:
        table = "events"
        indexes = (("state", "next_try_at"), ("group", "state", "id"), ("order_key", "state", "id"))


class Delivery(Model):
    """One signed POST of one activity to one inbox, retried on a schedule until delivered or dead."""

    id = fields.BigIntField(primary_key=True)
    """Row id."""
    inbox = fields.CharField(max_length=1024)
    """Target inbox URL (a shared inbox where the actor has one)."""
    host = fields.CharField(max_length=255)
    """Normalised host of the inbox (per-host limits and circuit breaker)."""
    actor_uri = fields.CharField(max_length=1024)
    """The local actor whose key signs the POST (a group or the instance actor)."""
    activity_uri = fields.CharField(max_length=1024)
    """The id of the activity carried, for tracing and cancelling."""
    body = fields.TextField()
    """The exact JSON bytes to send."""
    state = fields.CharField(max_length=16, default="queued")
    """queued, delivered, dead or cancelled; see hub.lifecycle.DELIVERY."""
    tries = fields.IntField(default=0)
    """Attempts so far."""
    next_try_at = fields.DatetimeField()
    """Not sent before this time."""
    lease_until = fields.DatetimeField(null=True)
    """A worker holds the row until then; an expired lease means it died mid-send."""
    lease_owner = fields.CharField(max_length=64, null=True)
    """Which worker holds the lease."""
    last_status = fields.IntField(null=True)
    """HTTP status of the last attempt."""
    last_error = fields.TextField(null=True)
    """Error of the last attempt (network error, body excerpt)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the delivery was queued."""
    delivered_at = fields.DatetimeField(null=True)
    """When the inbox acknowledged it."""

    class Meta:
        table = "deliveries"
        indexes = (("state", "next_try_at"), ("host", "state"))


class WorkerHeartbeat(Model):
    """The last sign of life of one running worker (``hub worker`` or the worker inside ``hub serve``), for /healthz."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    owner = fields.CharField(max_length=64, unique=True)
    """The worker's lease owner name (``host:pid:random``)."""
    started_at = fields.DatetimeField()
    """When the worker started."""
    beat_at = fields.DatetimeField(db_index=True)
    """When it last wrote this row; the row is deleted when the worker stops cleanly."""

    class Meta:
        table = "worker_heartbeats"


class RateBucket(Model):
    """One token bucket of the inbox's rate limits, shared by every process on PostgreSQL (federation.shared_limits)."""

    key = fields.CharField(max_length=300, primary_key=True)
    """``actor:<uri>``, ``server:<domain>`` or ``address:<ip>``."""
    tokens = fields.FloatField()
    """Tokens left when last counted."""
    updated = fields.FloatField(db_index=True)
    """When they were counted (the database's clock, seconds since the epoch)."""
    took = fields.FloatField()
    """Tokens the last check took: 1, or a process's lease of several (federation.ratelimit)."""

    class Meta:
        table = "rate_buckets"


class MetricCount(Model):
    """One counter series of one process, written every few seconds; /metrics sums them (federation.shared_metrics)."""

    id = fields.BigIntField(primary_key=True)
    """Row id."""
    process = fields.CharField(max_length=120)
    """The process (``host:pid:random``)."""
    series = fields.CharField(max_length=300)
    """The counter and its labels as exposed (``causeway_inbox_requests_total{result="stored"}``)."""
    value = fields.FloatField()
    """The process's total so far."""
    updated_at = fields.DatetimeField()
    """When the process last wrote it."""

    class Meta:
        table = "metric_counts"
        unique_together = (("process", "series"),)
