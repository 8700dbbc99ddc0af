"""Collaboration pages: partner groups by instance, the server-drawn SVG map, and links from group pages."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from hub.models import Peer
from hub.services import accounts, collaborations
from hub.models import RemoteActor
from hub.services import profiles
from web.graph import Partner, collaboration_svg, project

SVG = "{http://www.w3.org/2000/svg}"


LISBON = Partner("Lisboa Solidária", "lisboa@pt.example", "pt.example", "Lisbon, Portugal", 38.72, -9.13)
BERLIN = Partner("Nachbarschaft <Hilfe>", "berlin@de.example", "de.example", "Berlin, Germany", 52.52, 13.41)
NAIROBI = Partner("Nairobi Mutual Aid", "nairobi@ke.example", "ke.example", "Nairobi, Kenya", -1.28, 36.82)


def dots(root: ET.Element) -> list[tuple[float, float]]:
    """Centres of the partner dots on a drawn map."""
    return [(float(c.get("cx")), float(c.get("cy"))) for g in root.iter(f"{SVG}g") if g.get("class") == "partner"
            for c in g.iter(f"{SVG}circle")]


def at(latitude: float, longitude: float) -> tuple[float, float]:
    """Where the map draws a position, as written (one decimal)."""
    x, y = project(latitude, longitude)
    return round(x, 1), round(y, 1)


def test_world_map_places_partners_where_they_are_and_escapes() -> None:
    """Three cities on three continents: each a dot at its place, a line from the host, labels escaped."""
    svg = collaboration_svg("Joint & Campaign", [LISBON, BERLIN, NAIROBI], description="3 partners", host=LISBON)
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "3 partners"
    assert len(root.find(f"{SVG}g").findall(f"{SVG}path")) > 150  # the countries of the world
    (lx, ly), (bx, by), (nx, ny) = dots(root)
    assert lx < bx < nx and by < ly < ny  # Lisbon west of Berlin west of Nairobi; Berlin north of Lisbon north of Nairobi
    assert at(-1.28, 36.82) == (nx, ny)
    assert len([p for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]) == 2  # host to Berlin and to Nairobi
    assert "<Hilfe>" not in svg and "&lt;Hilfe&gt;" in svg
    # framed around the three cities: from the mid-Atlantic to the Indian Ocean, not the whole world
    x, y, w, h = map(float, root.get("viewBox").split())
    assert x > 250 and x + w < 850 and w >= 1000 / 3
    labels = [t for g in root.iter(f"{SVG}g") if g.get("class") == "partner" for t in g.iter(f"{SVG}text")]
    assert len(labels) == 3


def test_partners_without_a_place_are_left_to_the_list() -> None:
    """A partner that says nothing of where it is gets no dot; an empty map is still valid."""
    nowhere = Partner("Nowhere", "x@y.example", "y.example")
    root = ET.fromstring(collaboration_svg("Alone", [nowhere, NAIROBI], description="d"))
    assert len(dots(root)) == 1
    empty = ET.fromstring(collaboration_svg("Alone", [], description="no partners"))
    assert dots(empty) == [] and empty.get("viewBox") == "0.0 0.0 1000.0 394.4"


@pytest.mark.db
async def test_collaboration_page_and_map(web) -> None:
    """The page lists partners by instance with their places; the map draws the three cities; the host's page links to it."""
    host = await web.group_with("climate", name="Climate Action")
    await profiles.update_settings(host, by=None, city="Lisbon", country="PT")
    host_account = await collaborations.group_account(host, "http://127.0.0.1:8123/groups/climate", "climate@127.0.0.1:8123")
    collab = await collaborations.create_collaboration(host, "joint", "Joint Campaign", host_account=host_account, description="Together")
    for handle, name in (("verdes@social.example", "Verdes"), ("roots@other.example", "Roots")):
        partner = await accounts.remote_account(f"https://{handle.split('@')[1]}/groups/{handle.split('@')[0]}", handle=handle, display_name=name)
        await collaborations.add_partner(collab, partner)
        if name == "Verdes":  # says where it is in its actor document (see federation.remote.place_of)
            peer = await Peer.create(host="social.example")
            await RemoteActor.create(account=partner, peer=peer, uri=partner.uri, actor_type="Group", inbox=partner.uri + "/inbox",
                                     fetched_at=partner.created_at, place_name="Nairobi, Kenya", latitude=-1.28, longitude=36.82)
    local = await web.group_with("berlin", name="Berlin Hilft")
    await profiles.update_settings(local, by=None, city="Berlin", country="DE")
    await collaborations.add_partner(collab, await collaborations.group_account(
        local, "http://127.0.0.1:8123/groups/berlin", "berlin@127.0.0.1:8123"))

    page = await web.client.get("/collaborations/joint")
    assert page.status_code == 200
    text = page.text
    assert "Joint Campaign" in text and "A collaboration hosted by Climate Action" in text
    for instance in ("127.0.0.1:8123", "social.example", "other.example"):
        assert f"<h3>{instance}</h3>" in text
    assert '/collaborations/joint/map.svg' in text and "World map with 3 partner groups placed where they work" in text
    assert '<span class="place">Nairobi, Kenya</span>' in text and '<span class="place">Berlin, Germany</span>' in text
    assert "The ring is Climate Action, in Lisbon, Portugal" in text

    svg = await web.client.get("/collaborations/joint/map.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    assert sorted(dots(root)) == sorted([at(38.73, -9.15), at(52.52, 13.41), at(-1.28, 36.82)])
    assert len([p for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]) == 2  # Lisbon -> Berlin, Lisbon -> Nairobi
    assert "3 partner groups on a world map, in 3 places" in root.get("aria-label")

    group_page = await web.client.get("/groups/climate")
    assert "Collaborations" in group_page.text and "/collaborations/joint" in group_page.text
    collab_group_page = await web.client.get("/groups/joint")
    assert "/collaborations/joint" in collab_group_page.text
    assert (await web.client.get("/collaborations/climate")).status_code == 404
