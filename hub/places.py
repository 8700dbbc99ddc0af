"""Where groups are: countries (ISO 3166-1 alpha-2) and cities, with their positions on the globe.

A group may give a city and a country. The hub finds the city's position in a bundled gazetteer
(``hub/places.json``: cities of at least 100,000 people, from GeoNames; built by
``scripts/build_places.py``, sources and licences in ``hub/PLACES-SOURCES.md``); a city it does not
know is placed at its country's capital. Pure lookups, no network.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "places.json"
MAX_CITY = 100


@dataclass(frozen=True)
class Place:
    """A position to draw: the name shown, latitude and longitude in degrees."""

    name: str
    latitude: float
    longitude: float


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


@functools.cache
def _data() -> tuple[dict[str, tuple[str, float | None, float | None]], dict[tuple[str, str], tuple[float, float]]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    countries = {code: (name, lat, lon) for code, (name, lat, lon) in raw["countries"].items()}
    cities: dict[tuple[str, str], tuple[float, float]] = {}
    for name, country, lat, lon in raw["cities"]:  # most populous first: the first of a name wins
        cities.setdefault((country, _fold(name)), (lat, lon))
    return countries, cities


def check_country(code: str) -> str:
    """The upper-case ISO code when it names a country, else ValueError saying what is accepted."""
    upper = (code or "").strip().upper()
    if upper in _data()[0]:
        return upper
    raise ValueError(f"country {code!r} is unknown: give its two-letter ISO 3166 code, e.g. PT, DE or KE")


def check_city(city: str) -> str:
    """The city's name, trimmed; ValueError when it is longer than :data:`MAX_CITY` characters."""
    city = " ".join((city or "").split())
    if len(city) > MAX_CITY:
        raise ValueError(f"a city's name is limited to {MAX_CITY} characters")
    return city


def country_name(code: str) -> str:
    """The English name of a country code (the code itself when unknown)."""
    entry = _data()[0].get((code or "").upper())
    return entry[0] if entry else code


def locate(city: str, country: str) -> Place | None:
    """Where ``city`` in ``country`` is (the capital when the city is unknown), or None without a country."""
    countries, cities = _data()
    entry = countries.get((country or "").upper())
    if entry is None:
        return None
    name = ", ".join(part for part in (city, entry[0]) if part)
    found = cities.get((country.upper(), _fold(city))) if city else None
    if found is not None:
        return Place(name, found[0], found[1])
    if entry[1] is None or entry[2] is None:
        return None
    return Place(name, entry[1], entry[2])
