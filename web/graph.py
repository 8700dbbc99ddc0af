"""The collaboration map: an SVG, drawn on the server, of partner groups clustered by their instance.

The collaboration sits in the middle; each instance is a labelled circle on a ring around it with its
partner groups inside; a line joins every partner to the collaboration. Pure function of plain
values, so it is tested without a server; every text is XML-escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
HEIGHT = 640
PALETTE = ("#0b5d3b", "#1f4e99", "#8a3b12", "#5b2a86", "#7a5c00", "#0f6b6b", "#8c1c4a", "#3d5a1f")


@dataclass(frozen=True)
class Partner:
    """A partner group as the map shows it."""

    name: str
    handle: str
    instance: str


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def collaboration_svg(title: str, partners: list[Partner], *, description: str) -> str:
    """The SVG document (``image/svg+xml``) for a collaboration and its partners."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    instances: dict[str, list[Partner]] = {}
    for partner in partners:
        instances.setdefault(partner.instance, []).append(partner)
    ring = 0 if len(instances) <= 1 else 215
    cluster_positions: dict[str, tuple[float, float]] = {}
    for index, instance in enumerate(sorted(instances)):
        angle = -math.pi / 2 + 2 * math.pi * index / max(len(instances), 1)
        cluster_positions[instance] = (cx + ring * math.cos(angle), cy + ring * math.sin(angle))
    lines: list[str] = []
    clusters: list[str] = []
    nodes: list[str] = []
    for index, instance in enumerate(sorted(instances)):
        colour = PALETTE[index % len(PALETTE)]
        ix, iy = cluster_positions[instance]
        members = instances[instance]
        radius = 48 + 14 * min(len(members), 6) if ring else 230
        clusters.append(
            f'<circle cx="{ix:.1f}" cy="{iy:.1f}" r="{radius}" fill="{colour}" fill-opacity="0.08" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{ix:.1f}" y="{iy - radius - 8:.1f}" text-anchor="middle" font-size="14" '
            f'font-weight="bold" fill="{colour}">{escape(_short(instance, 30))}</text>'
        )
        for position, partner in enumerate(members):
            spread = 2 * math.pi * position / len(members)
            distance = 0 if len(members) == 1 else radius * 0.55
            if not ring:
                distance = radius * 0.7
            px, py = ix + distance * math.cos(spread - math.pi / 2), iy + distance * math.sin(spread - math.pi / 2)
            lines.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{px:.1f}" y2="{py:.1f}" stroke="#555" stroke-width="1.5"/>')
            nodes.append(
                f'<g><title>{escape(partner.name)} (@{escape(partner.handle)})</title>'
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="9" fill="{colour}"/>'
                f'<text x="{px:.1f}" y="{py + 24:.1f}" text-anchor="middle" font-size="12" fill="#1b1b1b">'
                f"{escape(_short(partner.name))}</text></g>"
            )
    centre = (
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="30" fill="#fdfdfb" stroke="#1b1b1b" stroke-width="3"/>'
        f'<text x="{cx:.1f}" y="{cy + 48:.1f}" text-anchor="middle" font-size="15" font-weight="bold" '
        f'fill="#1b1b1b">{escape(_short(title, 36))}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label={quoteattr(description)} font-family="system-ui, sans-serif">'
        f"<title>{escape(description)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        + "".join(clusters) + "".join(lines) + centre + "".join(nodes)
        + "</svg>"
    )
