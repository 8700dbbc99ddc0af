"""Time zones: names checked, local times read in a zone, moments written for a reader with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.timezones import check_zone, format_moment, parse_local, zone_names


def test_local_times_are_read_in_their_zone_and_stored_in_utc() -> None:
    """09:00 in Lisbon in winter is 09:00 UTC; in Nairobi it is 06:00 UTC; an explicit offset wins."""
    assert parse_local("2026-12-05T09:00", "Europe/Lisbon") == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert parse_local("2026-12-05 09:00", "Africa/Nairobi") == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    assert parse_local("2026-07-01T12:00+02:00", "UTC") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "zone", "message"), [
    ("Saturday 9:00", "Europe/Lisbon", "write it as 2026-12-05T09:00"),
    ("2026-12-05T09:00", "Mars/Olympus", "IANA name"),
    ("2026-12-05T09:00", "", "IANA name"),
])
def test_bad_times_and_zones_are_refused_with_an_example(text: str, zone: str, message: str) -> None:
    """Free text and unknown zones are refused with a message saying what to write."""
    with pytest.raises(ValueError, match=message):
        parse_local(text, zone)


def test_moments_are_written_in_the_readers_language_with_the_zone_named() -> None:
    """The same moment for a Kenyan Swahili reader, a Spanish one in Lisbon and an Arabic one in UTC."""
    moment = datetime(2026, 7, 4, 14, 5, tzinfo=UTC)
    assert format_moment(moment, "Africa/Nairobi", "sw") == "4 Jul 2026 17:05 (Saa za Afrika Mashariki)"
    assert format_moment(moment, "Europe/Lisbon", "es") == "4 jul 2026, 15:05 (hora de verano de Europa occidental)"
    assert "(التوقيت العالمي المنسق)" in format_moment(moment, "UTC", "ar")
    assert format_moment(moment, "Nowhere/Else", "en") == "Jul 4, 2026, 2:05\u202fPM (Coordinated Universal Time)"
    assert format_moment(None, "UTC", "en") == ""


def test_zone_names_are_iana_names() -> None:
    """The lists offered in forms hold the coalition's zones and UTC, and check_zone agrees with them."""
    names = zone_names()
    assert {"Europe/Lisbon", "Europe/Berlin", "Africa/Nairobi", "UTC"} <= set(names)
    assert check_zone("Africa/Nairobi") == "Africa/Nairobi"
