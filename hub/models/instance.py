"""This hub's own instance key, and what is known about each peer server."""

from tortoise import fields
from tortoise.models import Model


class InstanceKey(Model):
    """The key pair of the instance actor, which signs server-level fetches (FEP-2677)."""

    id = fields.IntField(primary_key=True)
    """Row id; the hub keeps one row."""
    private_key_pem = fields.TextField()
    """PKCS#8 PEM of the RSA private key; never leaves the hub."""
    public_key_pem = fields.TextField()
    """SubjectPublicKeyInfo PEM published on the instance actor."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the key was generated."""

    class Meta:
        table = "instance_keys"


class Peer(Model):
    """A remote server this hub has talked to: its software, the signature scheme it takes, its health."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    host = fields.CharField(max_length=255, unique=True)
    """Normalised host[:port] of the server."""
    software = fields.CharField(max_length=64, null=True)
    """NodeInfo software.name (mastodon, lemmy, …), lower-case; null until fetched."""
    software_version = fields.CharField(max_length=64, null=True)
    """NodeInfo software.version."""
    nodeinfo_fetched_at = fields.DatetimeField(null=True)
    """When NodeInfo was last fetched (or tried)."""
    signature_scheme = fields.CharField(max_length=16, null=True)
    """The HTTP signature scheme that last worked for POSTs: cavage or rfc9421."""
    blocked = fields.BooleanField(default=False)
    """Instance-level domain block: everything from this host is refused."""
    block_reason = fields.TextField(null=True)
    """Why the host was blocked, for the moderation log."""
    consecutive_failures = fields.IntField(default=0)
    """Deliveries that failed in a row; resets on success (circuit breaker)."""
    paused_until = fields.DatetimeField(null=True)
    """While set and in the future, deliveries to this host wait (circuit open)."""
    last_success_at = fields.DatetimeField(null=True)
    """When a delivery to this host last succeeded."""
    last_failure_at = fields.DatetimeField(null=True)
    """When a delivery to this host last failed."""

    class Meta:
        table = "peers"


class InstanceSetting(Model):
    """A hub-wide setting the administrators changed in the console; it overrides the HUB_* default."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    name = fields.CharField(max_length=64, unique=True)
    """The setting's name, e.g. ``open_group_creation``."""
    value = fields.TextField()
    """Its value as text (``true``/``false`` for switches)."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When an administrator last changed it."""

    class Meta:
        table = "instance_settings"
