"""The collaboration map: an SVG, drawn on the server, of partner groups where they are on a world map.

The world is Natural Earth's 1:110m country outlines (public domain), bundled as ``web/world_110m.json``
(see ``hub/PLACES-SOURCES.md``); no tiles, nothing fetched. Each partner that says where it is (its
group's city and country here, or its actor's ``location`` elsewhere) is a dot with its name; a line
joins the host group to each partner. The map is framed around the partners (the whole world when
none says where it is), and labels are put where no other label is. Partners without a place are not drawn: the page's text list
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


def frame(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The part of the map to show (x, y, width, height): the points with a margin, at the map's aspect ratio,
    at least a third of the world wide, within the world; the whole world without points."""
    data = world()
    width, height = data["width"], data["height"]
    if not points:
        return 0.0, 0.0, width, height
    xs, ys = [x for x, _ in points], [y for _, y in points]
    view_w = max(max(xs) - min(xs) + 120, (max(ys) - min(ys) + 60) * width / height, width / 3)
    view_w = min(view_w, width)
    view_h = view_w * height / width
    x = min(max((min(xs) + max(xs)) / 2 - view_w / 2, 0.0), width - view_w)
    y = min(max((min(ys) + max(ys)) / 2 - view_h / 2, 0.0), height - view_h)
    return x, y, view_w, view_h


def _label_spot(x: float, y: float, text: str, size: float, taken: list[tuple[float, float, float, float]]
                ) -> tuple[float, float, str]:
    """Where a label goes: above, below, right or left of its dot, the first place no other label covers."""
    w, h = 0.62 * size * len(text), 1.2 * size
    tries = ((x, y - 1.1 * size, "middle"), (x, y + 2.0 * size, "middle"), (x + 1.1 * size, y + 0.4 * size, "start"),
             (x - 1.1 * size, y + 0.4 * size, "end"), (x, y - 2.4 * size, "middle"), (x, y + 3.3 * size, "middle"))
    for tx, ty, anchor in tries:
        left = tx - w / 2 if anchor == "middle" else (tx if anchor == "start" else tx - w)
        box = (left, ty - h, left + w, ty)
        if not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in taken):
            taken.append(box)
            return tx, ty, anchor
    return tries[0]


def collaboration_svg(title: str, partners: list[Partner], *, description: str, host: Partner | None = None) -> str:
    """The SVG document (``image/svg+xml``) of a collaboration's partners on the world map, framed around them."""
    data = world()
    width, height = data["width"], data["height"]
    land = "".join(f'<path d="{path}"/>' for path in data["countries"].values())
    shown = [p for p in partners if p.located]
    points = [project(p.latitude, p.longitude) for p in shown]  # type: ignore[arg-type]
    origin = project(host.latitude, host.longitude) if host is not None and host.located else None  # type: ignore[arg-type]
    vx, vy, vw, vh = frame(points + ([origin] if origin else []))
    scale = vw / width
    size, radius = 13 * scale, 6 * scale
    lines: list[str] = []
    dots: list[str] = []
    taken: list[tuple[float, float, float, float]] = []
    for index, (partner, (x, y)) in enumerate(zip(shown, points)):
        colour = PALETTE[index % len(PALETTE)]
        if origin is not None and (abs(origin[0] - x) > 1 or abs(origin[1] - y) > 1):
            mid_x, mid_y = (origin[0] + x) / 2, min(origin[1], y) - 0.15 * abs(origin[0] - x) - 10 * scale
            lines.append(f'<path d="M{origin[0]:.1f},{origin[1]:.1f} Q{mid_x:.1f},{mid_y:.1f} {x:.1f},{y:.1f}" '
                         f'fill="none" stroke="{colour}" stroke-width="{1.5 * scale:.2f}" stroke-opacity="0.7"/>')
        label = _short(partner.name + (f" · {partner.place.split(',')[0]}" if partner.place else ""))
        tx, ty, anchor = _label_spot(x, y, label, size, taken)
        dots.append(
            f'<g class="partner"><title>{escape(partner.name)} (@{escape(partner.handle)})'
            f'{escape(" — " + partner.place) if partner.place else ""}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.2f}" fill="{colour}" stroke="#ffffff" stroke-width="{2 * scale:.2f}"/>'
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="{size:.2f}" font-weight="bold" fill="#1b1b1b" '
            f'stroke="#ffffff" stroke-width="{3 * scale:.2f}" paint-order="stroke">{escape(label)}</text></g>'
        )
    host_mark = ""
    if origin is not None and host is not None:
        host_mark = (f'<g class="host"><title>{escape(host.name)}{escape(" — " + host.place) if host.place else ""}</title>'
                     f'<circle cx="{origin[0]:.1f}" cy="{origin[1]:.1f}" r="{1.6 * radius:.2f}" fill="#ffffff" stroke="#1b1b1b" '
                     f'stroke-width="{3 * scale:.2f}"/></g>')
    caption = (f'<text x="{vx + 12 * scale:.1f}" y="{vy + vh - 12 * scale:.1f}" font-size="{15 * scale:.2f}" font-weight="bold" '
               f'fill="#1b1b1b" stroke="#ffffff" stroke-width="{3 * scale:.2f}" paint-order="stroke">{escape(_short(title, 60))}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{vx:.1f} {vy:.1f} {vw:.1f} {vh:.1f}" width="{width:g}" height="{height:g}" '
        f'role="img" aria-label={quoteattr(description)} font-family="system-ui, sans-serif">'
        f"<title>{escape(description)}</title>"
        f'<rect x="{vx:.1f}" y="{vy:.1f}" width="{vw:.1f}" height="{vh:.1f}" fill="#e8f0f5"/>'
        f'<g fill="#d4d8cc" stroke="#ffffff" stroke-width="{0.6 * scale:.2f}">{land}</g>'
        + "".join(lines) + host_mark + "".join(dots) + caption
        + "</svg>"
    )
