"""iCalendar (RFC 5545) feeds of gatherings: one per group and one per event.

Written by hand rather than with the ``icalendar`` library: the hub only writes VEVENTs with a few
properties, which is some fifty lines, and the tests parse what it writes with ``icalendar`` (a test
dependency), so the runtime carries no dependency for it. Times are written in UTC (``…Z``), which
needs no VTIMEZONE; the event's own IANA time zone goes in ``X-CAUSEWAY-TIMEZONE`` and the
description says the local time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.models import Gathering
from hub.services.gatherings import local_when, place_of

PRODID = "-//Causeway//Gatherings//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class CalendarEntry:
    """One gathering with the addresses the feed links to."""

    gathering: Gathering
    uid: str
    """The event's ActivityPub id (stable, unique)."""
    url: str
    """Its HTML page."""
    organiser: str
    """The group's name."""
    organiser_url: str
    """The group's actor id (its page)."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines (other control characters are dropped)."""
    return (_CONTROL.sub("", text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """A content line folded at 75 octets (continuation lines start with a space), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(entry: CalendarEntry, *, stamp: datetime) -> list[str]:
    """The lines of one VEVENT."""
    g = entry.gathering
    description = "\n\n".join(p for p in (local_when(g), g.description, entry.url) if p)
    location = ", ".join(p for p in (place_of(g).one_line(), g.online_url or "") if p)
    lines = [
        "BEGIN:VEVENT", f"UID:{entry.uid}", f"DTSTAMP:{_stamp(stamp)}", f"DTSTART:{_stamp(g.starts_at)}",
        f"DTEND:{_stamp(g.ends_at)}", f"SUMMARY:{escape(g.title)}", f"DESCRIPTION:{escape(description)}",
        f"URL:{entry.url}", f"STATUS:{'CANCELLED' if g.state == 'cancelled' else 'CONFIRMED'}", f"SEQUENCE:{g.sequence}",
        f"LAST-MODIFIED:{_stamp(g.updated_at)}", f"CREATED:{_stamp(g.created_at)}",
        f"ORGANIZER;CN=\"{entry.organiser.replace(chr(34), chr(39))}\":{entry.organiser_url}",
        f"X-CAUSEWAY-TIMEZONE:{g.timezone}",
    ]
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    if g.latitude is not None and g.longitude is not None:
        lines.append(f"GEO:{g.latitude:.6f};{g.longitude:.6f}")
    lines.append("END:VEVENT")
    return lines


def calendar(name: str, entries: Iterable[CalendarEntry], *, stamp: datetime | None = None) -> str:
    """A VCALENDAR with one VEVENT per entry, CRLF line ends, folded lines."""
    stamp = stamp or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for entry in entries:
        lines.extend(vevent(entry, stamp=stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
