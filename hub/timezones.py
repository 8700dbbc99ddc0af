"""Time zones: checking a zone name, reading a local time in a zone, and writing a moment for a person.

Moments are stored in UTC. People see them in their own zone (a preference on their account), else in
the group's zone, with the zone named, in their language's format (CLDR, through Babel):
``4 dic 2026, 15:05 (hora de Europa central)``.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name

DEFAULT_ZONE = "UTC"


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted (``Africa/Nairobi``, ``Europe/Lisbon``…)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def check_zone(name: str) -> str:
    """``name`` when it is a known IANA zone, else ValueError saying what is accepted."""
    if name and name in zone_names():
        return name
    raise ValueError(f"time zone {name!r} is unknown: use an IANA name such as Europe/Lisbon, Africa/Nairobi or UTC")


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name`` (UTC for nothing or an unknown name)."""
    try:
        return ZoneInfo(name) if name and name in zone_names() else ZoneInfo(DEFAULT_ZONE)
    except ZoneInfoNotFoundError:
        return ZoneInfo(DEFAULT_ZONE)


def parse_local(text: str, zone_name: str) -> datetime:
    """A local date and time (``2026-12-05T09:00`` or ``2026-12-05 09:00``) in ``zone_name``, as UTC.

    ValueError with a message a person can act on when the text is not such a time or the zone unknown.
    """
    check_zone(zone_name)
    cleaned = (text or "").strip().replace(" ", "T", 1)
    try:
        local = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time: write it as 2026-12-05T09:00") from None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def format_moment(value: datetime | None, zone_name: str | None, language: str) -> str:
    """``value`` in ``zone_name``, written for ``language``, with the zone named; empty for None."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    tz = zone(zone_name)
    local = value.astimezone(tz)
    locale = Locale.parse(language or "en")
    pattern = locale.datetime_formats["medium"]
    when = pattern.format(format_time(local, "short", locale=locale), format_date(local, "medium", locale=locale))
    return f"{when} ({get_timezone_name(local, width='long', locale=locale)})"
