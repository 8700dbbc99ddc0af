"""web.moved: where a moved group's URLs lead."""

from __future__ import annotations

from web.moved import destination


def test_paths_follow_to_a_causeway_group_and_otherwise_lead_to_the_actor() -> None:
    """…/groups/NEW keeps the rest of the path; any other actor URL takes everything."""
    assert destination("https://new.test/groups/aid", "") == "https://new.test/groups/aid"
    assert destination("https://new.test/groups/aid", "/campaigns/flood") == "https://new.test/groups/aid/campaigns/flood"
    assert destination("https://lemmy.test/c/aid", "/campaigns/flood") == "https://lemmy.test/c/aid"
