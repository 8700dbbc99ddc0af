"""The collaboration map: an SVG, drawn on the server, of partner groups where they are on a world map.

The world is Natural Earth's 1:110m country outlines (public domain), bundled as ``web/world_110m.json``
(see ``hub/PLACES-SOURCES.md``); no tiles, nothing fetched. Each partner that says where it is (its
group's city and country here, or its actor's ``location`` elsewhere) is a dot with its name; a line
joins the host group to each partner. Partners without a place are not drawn: the page's text list
names every partner, with its place, as the map's alternative. Pure function of plain values, so it is
tested without a server; every text is XML-escaped.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

WORLD = Path(__file__).parent / "world_110m.json"
PALETTE = ("#0b5d3b", "#1f4e99", "#8a3b12", "#5b2a86", "#7a5c00", "#0f6b6b", "#8c1c4a", "#3d5a1f")


@dataclass(frozen=True)
class Partner:
    """A partner group as the map and its text list show it."""

    name: str
    handle: str
    instance: str
    place: str | None = None
    """Where it says it is (``Nairobi, Kenya``), if it says."""
    latitude: float | None = None
    longitude: float | None = None

    @property
    def located(self) -> bool:
        """Whether the partner can be drawn on the map."""
        return self.latitude is not None and self.longitude is not None


@functools.cache
def world() -> dict:
    """The bundled outlines: width, height, the latitudes of the top and bottom edges, and a path per country."""
    return json.loads(WORLD.read_text(encoding="utf-8"))


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """Map coordinates of a position (equirectangular, as the outlines were drawn)."""
    data = world()
    north, south = data["north"], data["south"]
    latitude = max(min(latitude, north), south)
    return (longitude + 180.0) / 360.0 * data["width"], (north - latitude) / (north - south) * data["height"]


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def collaboration_svg(title: str, partners: list[Partner], *, description: str, host: Partner | None = None) -> str:
    """The SVG document (``image/svg+xml``) of a collaboration's partners on the world map."""
    data = world()
    width, height = data["width"], data["height"]
    land = "".join(f'<path d="{path}"/>' for path in data["countries"].values())
    shown = [p for p in partners if p.located]
    lines: list[str] = []
    dots: list[str] = []
    origin = project(host.latitude, host.longitude) if host is not None and host.located else None
    for index, partner in enumerate(shown):
        colour = PALETTE[index % len(PALETTE)]
        x, y = project(partner.latitude, partner.longitude)  # type: ignore[arg-type]
        if origin is not None and (abs(origin[0] - x) > 1 or abs(origin[1] - y) > 1):
            mid_x, mid_y = (origin[0] + x) / 2, min(origin[1], y) - 0.15 * abs(origin[0] - x) - 10
            lines.append(f'<path d="M{origin[0]:.1f},{origin[1]:.1f} Q{mid_x:.1f},{mid_y:.1f} {x:.1f},{y:.1f}" '
                         f'fill="none" stroke="{colour}" stroke-width="1.5" stroke-opacity="0.7"/>')
        label_y = y - 10 if index % 2 == 0 else y + 20
        anchor = "end" if x > width * 0.8 else ("start" if x < width * 0.2 else "middle")
        label = partner.name + (f" · {partner.place.split(',')[0]}" if partner.place else "")
        dots.append(
            f'<g><title>{escape(partner.name)} (@{escape(partner.handle)}){escape(" — " + partner.place) if partner.place else ""}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}" font-size="13" font-weight="bold" fill="#1b1b1b" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(_short(label))}</text></g>'
        )
    host_mark = ""
    if origin is not None and host is not None:
        host_mark = (f'<g><title>{escape(host.name)}{escape(" — " + host.place) if host.place else ""}</title>'
                     f'<circle cx="{origin[0]:.1f}" cy="{origin[1]:.1f}" r="9" fill="#ffffff" stroke="#1b1b1b" stroke-width="3"/></g>')
    caption = (f'<text x="12" y="{height - 12:.1f}" font-size="15" font-weight="bold" fill="#1b1b1b" stroke="#ffffff" '
               f'stroke-width="3" paint-order="stroke">{escape(_short(title, 60))}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'role="img" aria-label={quoteattr(description)} font-family="system-ui, sans-serif">'
        f"<title>{escape(description)}</title>"
        f'<rect width="{width:g}" height="{height:g}" fill="#e8f0f5"/>'
        f'<g fill="#d4d8cc" stroke="#ffffff" stroke-width="0.6">{land}</g>'
        + "".join(lines) + host_mark + "".join(dots) + caption
        + "</svg>"
    )
