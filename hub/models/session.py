"""Server-side sign-in sessions and the record of sign-in link requests."""

from tortoise import fields
from tortoise.models import Model


class Session(Model):
    """One signed-in browser: the cookie carries a random token, the server keeps its SHA-256 here.

    Ending a session (signing out, or from the member's page) deletes the row, so the cookie stops
    working everywhere at once, whatever its own expiry says.
    """

    id = fields.IntField(primary_key=True)
    """Row id."""
    account = fields.ForeignKeyField("models.Account", related_name="sessions", on_delete=fields.CASCADE)
    """Who is signed in."""
    token_hash = fields.CharField(max_length=64, unique=True)
    """SHA-256 hex of the session token; the token itself is only in the signed cookie."""
    user_agent = fields.CharField(max_length=300, default="")
    """The browser's User-Agent when the session started (shown so people recognise their devices)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When the session started."""
    last_seen_at = fields.DatetimeField()
    """When the session was last used (updated at most once a minute)."""
    expires_at = fields.DatetimeField()
    """After this the session no longer works."""

    class Meta:
        table = "sessions"


class SignInRequest(Model):
    """One request for a sign-in link, whoever it named (member or not): the per-address budget."""

    id = fields.IntField(primary_key=True)
    """Row id."""
    requested_ip = fields.CharField(max_length=64)
    """The address that asked."""
    created_at = fields.DatetimeField(auto_now_add=True)
    """When it asked."""

    class Meta:
        table = "signin_requests"
        indexes = (("requested_ip", "created_at"),)
