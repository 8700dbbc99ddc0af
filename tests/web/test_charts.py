"""The SVG charts: accessible (role, title, description), every text escaped, bars scaled per panel."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from web.campaign_chart import impact_svg
from web.charts import weekly_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_weekly_chart_is_accessible_and_escaped() -> None:
    """Title and description are labelled for assistive technology; hostile labels stay text."""
    svg = weekly_svg("Activity <b>", ["1 Dec", "8 Dec"], [("Posts & co", [3, 0]), ("New members", [0, 1])],
                     description='A "test" <script>')
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "activity-t activity-d"
    assert root.find(f"{SVG}title").text == "Activity <b>" and root.find(f"{SVG}desc").text == 'A "test" <script>'
    assert "<script>" not in svg and "<b>" not in svg
    assert "style=" not in svg  # the Content-Security-Policy refuses inline styles


def test_each_series_has_its_own_scale() -> None:
    """A week's single new member is drawn as tall as the busiest week's hundred posts (each panel to its own top)."""
    svg = weekly_svg("Activity", ["a", "b", "c"], [("Posts", [100, 50, 0]), ("New members", [0, 0, 1])], description="d")
    heights = [float(h) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" rx="2" fill="#[0-9a-f]+"/>', svg)]
    bars = [h for h in heights if h != 10]  # the legend swatches are 10 high
    assert len(bars) == 3 and bars[0] == bars[2] and abs(bars[1] - bars[0] / 2) < 0.01
    assert "Posts (150)" in svg and "New members (1)" in svg


def test_impact_chart_uses_the_shared_pieces() -> None:
    """The campaign impact chart keeps its bars and values, drawn with the shared helpers."""
    svg = impact_svg("Impact", [("Signed", 40), ("Shared", 10)], description="two numbers")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and "Signed" in svg and ">40<" in svg and ">10<" in svg
