"""A cause group hosted on this hub: one ActivityPub Group actor."""

from tortoise import fields
from tortoise.models import Model


class Group(Model):
    """A local group (or a collaboration space) with its profile, policies and key pair."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    slug = fields.CharField(max_length=64, unique=True)
    """URL- and handle-safe name: ``@slug@domain``."""
    name = fields.CharField(max_length=200)
    """Display name."""
    summary = fields.TextField(default="")
    """About text as written by organisers (Markdown source)."""
    rules = fields.TextField(default="")
    """Group rules (Markdown source)."""
    kind = fields.CharField(max_length=16, default="group")
    """``group`` or ``collaboration`` (a shared space whose members are partner groups)."""
    visibility = fields.CharField(max_length=16, default="public")
    """``public`` (listed, posts public) or ``private`` (members-only posts, unlisted)."""
    join_policy = fields.CharField(max_length=16, default="open")
    """``open`` (follow = join) or ``approval`` (organisers approve each follow)."""
    posting_mode = fields.CharField(max_length=16, default="members")
    """``members``, ``moderators`` (postingRestrictedToMods) or ``held_first`` (first posts held)."""
    decisions_by = fields.CharField(max_length=16, default="organisers")
    """Who may open decisions: ``organisers`` (owners and admins) or ``members`` (any accepted member)."""
    private_key_pem = fields.TextField()
    """The group actor's RSA private key (PKCS#8 PEM)."""
    public_key_pem = fields.TextField()
    """The group actor's public key (SPKI PEM)."""
    proof_key_pem = fields.TextField(null=True)
    """The group's Ed25519 private key (PKCS#8 PEM) for FEP-8b32 integrity proofs; made on first use."""
    language = fields.CharField(max_length=16, default="en")
    """The group's language: for messages to people whose own language is not known."""
    time_zone = fields.CharField(max_length=64, default="UTC")
    """The group's IANA time zone: times on its pages for visitors without a zone of their own."""
    city = fields.CharField(max_length=100, default="")
    """The city the group is based in (shown on collaboration maps), or empty."""
    country = fields.CharField(max_length=2, default="")
    """ISO 3166-1 alpha-2 code of the group's country, or empty."""
    icon_path = fields.CharField(max_length=255, null=True)
    """Generated file name of the avatar under the media directory."""
    also_known_as = fields.JSONField(default=list)
    """Actor ids this group was known by before it was imported here from another hub (``alsoKnownAs``)."""
    moved_to = fields.CharField(max_length=1024, null=True)
    """The actor id of the group's new home after ``hub group move`` (``movedTo``); its URLs redirect there."""
    moved_at = fields.DatetimeField(null=True)
    """When the group moved away."""
    header_path = fields.CharField(max_length=255, null=True)
    """Generated file name of the header image (a wide banner on the group's page) under the media directory."""
    deleted_at = fields.DatetimeField(null=True)
    """When organisers deleted the group: its pages and actor then answer 410 Gone (the row keeps its key
    so the federated Delete can be signed)."""
    suspended_at = fields.DatetimeField(null=True)
    """When the hub's administrators suspended the group: its pages and actor answer 410 and it federates
    nothing but the suspension itself, until they lift it (null: not suspended)."""
    suspension_reason = fields.TextField(null=True)
    """Why the administrators suspended the group, shown on its pages while it is suspended."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the group was created."""
    updated_at = fields.DatetimeField(auto_now=True)
    """When the profile last changed (the actor's ``updated``)."""

    class Meta:
        table = "groups"
