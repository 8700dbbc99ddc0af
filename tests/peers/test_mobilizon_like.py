"""The Mobilizon-shaped peer's reading of events: the real Mobilizon Event has Mobilizon's shape; others are told apart."""

from __future__ import annotations

from tests.peers.mobilizon_like import real_event, shape_problems


def test_the_real_mobilizon_event_has_the_shape() -> None:
    """The real payload passes its own shape check."""
    assert shape_problems(real_event()) == []


def test_missing_fields_and_wrong_types_are_named() -> None:
    """A Note-like object, a location without PostalAddress and a string capacity are each reported."""
    event = real_event()
    event["maximumAttendeeCapacity"] = "10"
    event["location"] = {"type": "Place", "address": {"type": "Address"}}
    del event["timezone"]
    problems = shape_problems(event)
    assert "missing timezone" in problems and "address is not a PostalAddress" in problems
    assert "maximumAttendeeCapacity is str, Mobilizon sends int" in problems
    assert "address lacks streetAddress" in problems
