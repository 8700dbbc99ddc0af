"""Accounts (local admins or remote fediverse actors) and the cache of remote actor documents."""

from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """Someone who can be a member, an author or an organiser: a local login or a remote actor."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    uri = fields.CharField(max_length=1024, unique=True)
    """Opaque identity: the ActivityPub actor id for remote accounts, ``local:NAME`` for local logins."""
    is_local = fields.BooleanField(default=False)
    """True for accounts that sign in with a password on this hub."""
    username = fields.CharField(max_length=64, null=True, unique=True)
    """Login name of a local account."""
    password_hash = fields.CharField(max_length=255, null=True)
    """Argon2id hash of a local account's password."""
    is_admin = fields.BooleanField(default=False)
    """Instance administrator: may run every group and instance-level moderation."""
    handle = fields.CharField(max_length=320, null=True)
    """``name@host`` for display, when known."""
    display_name = fields.CharField(max_length=200, null=True)
    """Display name (plain text)."""
    language = fields.CharField(max_length=8, null=True)
    """The language the person chose for pages and messages (a code of hub.languages.LANGUAGES), if any."""
    time_zone = fields.CharField(max_length=64, null=True)
    """The IANA time zone the person chose for times shown to them, if any."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the hub first saw this account."""

    class Meta:
        table = "accounts"


class RemoteActor(Model):
    """What a remote actor's document said when last fetched: where to deliver and how to verify."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    account = fields.OneToOneField("models.Account", related_name="remote", on_delete=fields.CASCADE)
    """The account this actor document belongs to."""
    peer = fields.ForeignKeyField("models.Peer", related_name="actors", on_delete=fields.CASCADE)
    """The server hosting the actor (its software decides the Announce form)."""
    uri = fields.CharField(max_length=1024, unique=True)
    """The actor id."""
    actor_type = fields.CharField(max_length=32)
    """Person, Group, Service, Application, Organization."""
    inbox = fields.CharField(max_length=1024)
    """The actor's personal inbox."""
    shared_inbox = fields.CharField(max_length=1024, null=True)
    """endpoints.sharedInbox, preferred for public deliveries."""
    key_id = fields.CharField(max_length=1024, null=True)
    """publicKey.id: the keyId its signatures name."""
    public_key_pem = fields.TextField(null=True)
    """publicKey.publicKeyPem."""
    assertion_keys = fields.JSONField(null=True)
    """The actor's Ed25519 ``assertionMethod`` Multikeys on its own host ({key id: publicKeyMultibase}), for FEP-8b32 proofs."""
    preferred_username = fields.CharField(max_length=200, null=True)
    """preferredUsername."""
    name = fields.CharField(max_length=200, null=True)
    """Display name, plain text."""
    url = fields.CharField(max_length=1024, null=True)
    """Profile page for people."""
    icon_url = fields.CharField(max_length=1024, null=True)
    """Avatar URL."""
    fetched_at = fields.DatetimeField()
    """When the document was last fetched."""
    gone = fields.BooleanField(default=False)
    """The actor answered 410 Gone or was deleted."""
    place_name = fields.CharField(max_length=200, null=True)
    """Where the actor says it is (``location.name`` of its document), plain text."""
    latitude = fields.FloatField(null=True)
    """``location.latitude`` in degrees (-90..90), when given."""
    longitude = fields.FloatField(null=True)
    """``location.longitude`` in degrees (-180..180), when given."""

    class Meta:
        table = "remote_actors"
