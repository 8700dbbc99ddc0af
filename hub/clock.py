"""The hub's notion of now: timezone-aware UTC, one place to read it."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
