"""Errors raised by the domain.

    HubError
    ├── SettingsError       a HUB_* variable has a value the hub cannot use (exit 2)
    ├── NotFound            the group, account, membership or post does not exist
    │   └── Gone            it existed and was deleted (pages answer 410)
    │       └── Suspended   a group the hub's administrators suspended (410 until they lift it)
    ├── PermissionDenied    the acting account lacks the role the action needs
    │   └── Refused         a post the group will not share, with the reason code its author is told
    ├── Conflict            the action clashes with the current state (slug taken, already a member)
    ├── InvalidInput        a value is malformed (bad slug, empty name, text too long)
    │   └── ImageRejected   an upload is empty, too large, not an accepted image or unreadable
    ├── RateLimited         the same thing was asked for too often; try again later
    ├── DatabaseUnavailable the configured database cannot be reached (names host, port and the setting)
    └── NotMigrated         the database has no schema or an older one: run `hub migrate`

Messages are written for a person: they say what was wrong and what would be accepted.
"""


class HubError(Exception):
    """Base of all domain errors; ``field`` names the form field one is about, when one is (forms show the message
    next to that field: a malformed value, a name already taken)."""

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field


class SettingsError(HubError):
    """A setting has a bad value; the message names the variable, the value and what is accepted."""

    def __init__(self, name: str, value: str, accepted: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {accepted}")
        self.name = name
        self.value = value
        self.accepted = accepted


class NotFound(HubError):
    """The thing asked for does not exist."""


class Gone(NotFound):
    """The thing asked for was deleted (a group its organisers deleted)."""


class Suspended(Gone):
    """The group was suspended by the hub's administrators: gone until they lift the suspension."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        """Why the administrators suspended it."""


class PermissionDenied(HubError):
    """The acting account may not do this."""


class Refused(PermissionDenied):
    """A post the group does not share; ``code`` is one of hub.services.refusals.REASONS."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Conflict(HubError):
    """The action clashes with the current state (a name already taken)."""


class InvalidInput(HubError):
    """A value given to the domain is malformed."""


class RateLimited(HubError):
    """Asked for too often (sign-in links per account or per address); the message says when to retry.

    ``retry_after`` is the number of seconds until the next try may succeed, when known."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseUnavailable(HubError):
    """The database named by HUB_DATABASE_URL (or HUB_DATA_DIR) cannot be reached or opened."""


class NotMigrated(HubError):
    """The database lacks the schema this version needs; the message says to run `hub migrate`."""


class ImageRejected(InvalidInput):
    """An uploaded image was refused; ``code`` says why (``empty``, ``too_large``, ``type``, ``pixels``, ``unreadable``; the console also uses ``missing``: no file chosen)."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code
