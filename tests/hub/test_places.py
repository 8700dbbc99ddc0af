"""Places: country codes checked, cities found in the bundled gazetteer, unknown cities at the capital."""

from __future__ import annotations

import pytest

from hub.places import check_city, check_country, country_name, locate


def test_cities_of_the_coalition_are_found_accents_and_case_aside() -> None:
    """Lisbon, Berlin and Nairobi are where they are; "são paulo" finds São Paulo."""
    lisbon, berlin, nairobi = locate("Lisbon", "PT"), locate("berlin", "de"), locate("Nairobi", "KE")
    assert (lisbon.latitude, lisbon.longitude) == (38.73, -9.15) and lisbon.name == "Lisbon, Portugal"
    assert round(berlin.latitude) == 53 and round(berlin.longitude) == 13
    assert round(nairobi.latitude) == -1 and round(nairobi.longitude) == 37
    assert locate("sao paulo", "BR").latitude < -23


def test_an_unknown_city_is_placed_at_its_countrys_capital_and_no_country_nowhere() -> None:
    """A village the gazetteer lacks still lands in its country; without a country there is no place."""
    village = locate("Aldeia Pequena", "PT")
    assert village.name == "Aldeia Pequena, Portugal" and (village.latitude, village.longitude) == (38.73, -9.15)
    assert locate("Lisbon", "") is None and locate("", "ZZ") is None


def test_bad_countries_and_cities_are_refused_with_what_is_accepted() -> None:
    """Codes are ISO 3166 alpha-2 (any case); names are bounded."""
    assert check_country(" ke ") == "KE" and country_name("DE") == "Germany"
    with pytest.raises(ValueError, match="two-letter ISO 3166 code"):
        check_country("Kenya")
    with pytest.raises(ValueError, match="100 characters"):
        check_city("x" * 101)
    assert check_city("  Nairobi   West ") == "Nairobi West"
