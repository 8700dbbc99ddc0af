"""SVG charts drawn on the server with plain strings, every text escaped: the pieces every chart shares
(an accessible ``<svg>`` with title and description, text, bars) and the group page's weekly activity chart.

Pure functions of plain values, tested without a server; no script, no external resources, no
``style`` attributes (the Content-Security-Policy refuses inline styles: presentation attributes
only), colours that meet contrast on white. ``web.campaign_chart`` draws the campaign impact chart
with the same pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

INK = "#1b1b1b"
MUTED = "#4d4d4d"
LINE = "#c9c9c1"
COLOURS = ("#0b5d3b", "#1f4e99", "#8a3b12", "#5b2a86", "#7a5c00", "#0f6b6b")
FONT = 'font-family="sans-serif"'


def svg_open(width: int, height: int, title: str, description: str, *, prefix: str = "chart") -> list[str]:
    """The opening of a standalone or inline chart: ``role="img"`` labelled by its title and described by ``description``
    (ids start with ``prefix``, unique on the page), on a white background."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{prefix}-t {prefix}-d" class="chart">',
        f'<title id="{prefix}-t">{escape(title)}</title>',
        f'<desc id="{prefix}-d">{escape(description)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def text(x: float, y: float, content: str, *, size: int = 13, bold: bool = False, anchor: str = "start", colour: str = INK) -> str:
    """A line of text (escaped)."""
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:g}" y="{y:g}" {FONT} font-size="{size}"{weight} text-anchor="{anchor}" '
            f'fill={quoteattr(colour)}>{escape(content)}</text>')


def bar(x: float, y: float, width: float, height: float, colour: str) -> str:
    """A filled bar with rounded corners."""
    return f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}" rx="2" fill={quoteattr(colour)}/>'


def weekly_svg(title: str, weeks: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, description: str,
               prefix: str = "activity") -> str:
    """Grouped vertical bars: one group per week (``weeks`` are their short labels), one bar per series (name, values),
    each series scaled to the largest value of all; a legend on top, the largest value on the axis, every other
    week labelled. 360 px wide, so it fits a phone without scrolling."""
    width, height, left, top, bottom = 360, 200, 34, 46, 26
    plot_w, plot_h = width - left - 8, height - top - bottom
    largest = max([v for _, values in series for v in values] + [1])
    slot = plot_w / max(len(weeks), 1)
    bar_w = max(2.0, (slot - 4) / max(len(series), 1))
    parts = svg_open(width, height, title, description, prefix=prefix)
    parts.append(text(8, 18, title[:48], size=14, bold=True))
    x = 8.0
    for index, (name, _values) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        parts += [bar(x, 26, 10, 10, colour), text(x + 14, 35, name[:20], size=12)]
        x += 24 + 7 * min(len(name), 20)
    base = top + plot_h
    parts += [
        f'<line x1="{left}" y1="{base}" x2="{width - 8}" y2="{base}" stroke="{LINE}"/>',
        f'<line x1="{left}" y1="{top}" x2="{width - 8}" y2="{top}" stroke="{LINE}" stroke-dasharray="3 3"/>',
        text(left - 4, top + 4, str(largest), size=11, anchor="end", colour=MUTED),
        text(left - 4, base + 4, "0", size=11, anchor="end", colour=MUTED),
    ]
    for w, label in enumerate(weeks):
        slot_x = left + w * slot + 2
        for s, (_name, values) in enumerate(series):
            value = values[w] if w < len(values) else 0
            if value > 0:
                h = max(2.0, plot_h * value / largest)
                parts.append(bar(slot_x + s * bar_w, base - h, bar_w - 1, h, COLOURS[s % len(COLOURS)]))
        if w % 2 == len(weeks) % 2 or w == len(weeks) - 1:
            parts.append(text(slot_x + slot / 2 - 2, base + 16, label[:6], size=10, anchor="middle", colour=MUTED))
    parts.append("</svg>")
    return "\n".join(parts)
