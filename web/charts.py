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
    """One panel of vertical bars per series (name, values), one bar per week (``weeks`` are their short labels),
    each panel scaled to its own largest value (printed on its axis), so a handful of new members shows beside
    hundreds of posts; every other week labelled, the latest always. 360 px wide: it fits a phone."""
    width, left, panel_h, gap = 360, 34, 70, 30
    top = 30
    height = top + len(series) * (panel_h + gap) + 4
    plot_w = width - left - 8
    slot = plot_w / max(len(weeks), 1)
    parts = svg_open(width, height, title, description, prefix=prefix)
    parts.append(text(8, 18, title[:48], size=14, bold=True))
    last = len(weeks) - 1
    for s_index, (name, values) in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        panel_top = top + s_index * (panel_h + gap) + 16
        base = panel_top + panel_h - 16
        plot_h = base - panel_top
        largest = max(list(values) + [1])
        parts += [
            bar(left, panel_top - 13, 10, 10, colour), text(left + 14, panel_top - 4, f"{name[:30]} ({sum(values)})", size=12),
            f'<line x1="{left}" y1="{base}" x2="{width - 8}" y2="{base}" stroke="{LINE}"/>',
            f'<line x1="{left}" y1="{panel_top + 2}" x2="{width - 8}" y2="{panel_top + 2}" stroke="{LINE}" stroke-dasharray="3 3"/>',
            text(left - 4, panel_top + 6, str(largest), size=11, anchor="end", colour=MUTED),
            text(left - 4, base + 4, "0", size=11, anchor="end", colour=MUTED),
        ]
        for w in range(len(weeks)):
            value = values[w] if w < len(values) else 0
            if value > 0:
                h = max(2.0, (plot_h - 2) * value / largest)
                parts.append(bar(left + w * slot + 2, base - h, slot - 4, h, colour))
            if (last - w) % 2 == 0 and s_index == len(series) - 1:
                parts.append(text(left + w * slot + slot / 2, base + 16, weeks[w][:6], size=10, anchor="middle", colour=MUTED))
    parts.append("</svg>")
    return "\n".join(parts)
