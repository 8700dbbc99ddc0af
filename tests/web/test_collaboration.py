"""Collaboration pages: partner groups by instance, the server-drawn SVG map, and links from group pages."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from hub.services import accounts, collaborations
from web.graph import Partner, collaboration_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_svg_clusters_partners_by_instance_and_escapes() -> None:
    """The map has one circle per instance, one dot and line per partner, and escaped labels."""
    partners = [Partner("Climate <Action>", "climate@hub.example", "hub.example"),
                Partner("Verdes", "verdes@social.example", "social.example"),
                Partner("Roots", "roots@social.example", "social.example")]
    svg = collaboration_svg("Joint & Campaign", partners, description="3 partners on 2 instances")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "3 partners on 2 instances"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "hub.example" in texts and "social.example" in texts and "Climate <Action>" in texts
    assert "Joint & Campaign" in texts
    assert len(root.findall(f".//{SVG}line")) == 3
    assert "<Action>" not in svg and "&lt;Action&gt;" in svg


def test_svg_without_partners_is_valid() -> None:
    """An empty collaboration still draws its centre."""
    root = ET.fromstring(collaboration_svg("Alone", [], description="no partners"))
    assert root.findall(f".//{SVG}line") == []


@pytest.mark.db
async def test_collaboration_page_and_map(web) -> None:
    """The collaboration page lists partners by instance; the map is an SVG; the host's page links to it."""
    host = await web.group_with("climate", name="Climate Action")
    host_account = await collaborations.group_account(host, "http://127.0.0.1:8123/groups/climate", "climate@127.0.0.1:8123")
    collab = await collaborations.create_collaboration(host, "joint", "Joint Campaign", host_account=host_account, description="Together")
    for handle, name in (("verdes@social.example", "Verdes"), ("roots@other.example", "Roots")):
        partner = await accounts.remote_account(f"https://{handle.split('@')[1]}/groups/{handle.split('@')[0]}", handle=handle, display_name=name)
        await collaborations.add_partner(collab, partner)

    page = await web.client.get("/collaborations/joint")
    assert page.status_code == 200
    text = page.text
    assert "Joint Campaign" in text and "A collaboration hosted by Climate Action" in text
    for instance in ("127.0.0.1:8123", "social.example", "other.example"):
        assert f"<h3>{instance}</h3>" in text
    assert '/collaborations/joint/map.svg' in text and "Map of 3 partner groups" in text

    svg = await web.client.get("/collaborations/joint/map.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    assert len(root.findall(f".//{SVG}line")) == 3

    group_page = await web.client.get("/groups/climate")
    assert "Collaborations" in group_page.text and "/collaborations/joint" in group_page.text
    collab_group_page = await web.client.get("/groups/joint")
    assert "/collaborations/joint" in collab_group_page.text
    assert (await web.client.get("/collaborations/climate")).status_code == 404
