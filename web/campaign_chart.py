"""The impact chart of a campaign: an SVG bar chart drawn on the server with plain strings, every text escaped.

Pure function of plain values (labels and numbers), so it is tested without a server; no script,
no external resources, colours that meet contrast on white.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

WIDTH = 360
BAR_HEIGHT = 22
GAP = 12
LABEL_WIDTH = 150
COLOURS = ("#0b5d3b", "#1f4e99", "#8a3b12", "#5b2a86", "#7a5c00", "#0f6b6b")


def impact_svg(title: str, bars: list[tuple[str, int]], *, description: str) -> str:
    """A horizontal bar per (label, value); bars scale to the largest value; values printed beside them."""
    top = 34
    height = top + len(bars) * (BAR_HEIGHT + GAP) + 8
    largest = max([value for _, value in bars] + [1])
    room = WIDTH - LABEL_WIDTH - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="t d">',
        f'<title id="t">{escape(title)}</title>',
        f'<desc id="d">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="22" font-family="sans-serif" font-size="15" font-weight="bold" fill="#1b1b1b">{escape(title[:48])}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * (BAR_HEIGHT + GAP)
        length = 0 if value <= 0 else max(2, round(room * value / largest))
        colour = COLOURS[index % len(COLOURS)]
        parts += [
            f'<text x="8" y="{y + 16}" font-family="sans-serif" font-size="13" fill="#1b1b1b">{escape(label[:24])}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3" fill={quoteattr(colour)}/>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-family="sans-serif" font-size="13" '
            f'fill="#1b1b1b">{int(value)}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)
