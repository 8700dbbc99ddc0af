"""The impact chart of a campaign: an SVG bar chart drawn with the shared pieces of :mod:`web.charts`.

Pure function of plain values (labels and numbers), so it is tested without a server; no script,
no external resources, colours that meet contrast on white.
"""

from __future__ import annotations

from web.charts import COLOURS, bar, svg_open, text

WIDTH = 360
BAR_HEIGHT = 22
GAP = 12
LABEL_WIDTH = 150


def impact_svg(title: str, bars: list[tuple[str, int]], *, description: str) -> str:
    """A horizontal bar per (label, value); bars scale to the largest value; values printed beside them."""
    top = 34
    height = top + len(bars) * (BAR_HEIGHT + GAP) + 8
    largest = max([value for _, value in bars] + [1])
    room = WIDTH - LABEL_WIDTH - 50
    parts = svg_open(WIDTH, height, title, description, prefix="impact")
    parts.append(text(8, 22, title[:48], size=15, bold=True))
    for index, (label, value) in enumerate(bars):
        y = top + index * (BAR_HEIGHT + GAP)
        length = 0 if value <= 0 else max(2, round(room * value / largest))
        parts += [
            text(8, y + 16, label[:24]),
            bar(LABEL_WIDTH, y, length, BAR_HEIGHT, COLOURS[index % len(COLOURS)]),
            text(LABEL_WIDTH + length + 6, y + 16, str(int(value))),
        ]
    parts.append("</svg>")
    return "\n".join(parts)
