"""Shared scene for the gathering tests: an event next week in Lisbon, with a place."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hub.clock import now
from hub.models import Gathering, Group
from hub.services import gatherings
from hub.services.gatherings import Details, Place

LISBON = Place(name="Casa do Povo", street="Rua da Paz 1", locality="Lisboa", postal_code="1000-001", country="Portugal",
               latitude=38.72, longitude=-9.14)


def details(**changes) -> Details:
    """An assembly starting in a week (naive times, read in Europe/Lisbon), two hours long."""
    start = (now() + timedelta(days=7)).astimezone(gatherings.time_zone("Europe/Lisbon")).replace(
        tzinfo=None, hour=18, minute=0, second=0, microsecond=0)
    base = Details(title="Neighbourhood assembly", starts=start, ends=start + timedelta(hours=2), timezone="Europe/Lisbon",
                   description="Rent strike: next steps.", place=LISBON)
    return replace(base, **changes)


async def gathering(group: Group, **changes) -> Gathering:
    """A published event of ``group``."""
    return await gatherings.create_gathering(group, details(**changes))
