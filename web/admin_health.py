"""The administrators' federation health page: the queues, every peer server's health, dead letters, a chart.

GET /console/admin/health shows the delivery queue (depth by state, the oldest due delivery),
one row per peer server (software, last success and failure, failures in a row, circuit breaker
pause, queued and dead deliveries) and the latest dead letters. GET /console/admin/health/queue.svg
is the chart of the last 24 hours drawn on the server from the QueueSample rows the workers write
every minute: queue depth above, deliveries and failed attempts per minute below. Both need a
signed-in instance administrator (``Account.is_admin``); anyone else gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from hub.clock import now
from hub.services.queue_stats import dead_deliveries, delivery_stats, instance_health, recent_samples
from web.admin_console import require_admin
from web.i18n import gettext_for
from web.rendering import render

WIDTH = 720
PANEL = 150
MARGIN = 48
HOURS = 24
DEAD_SHOWN = 20
INK = "#1b1b1b"
GRID = "#c8c8c8"
QUEUED = "#1f4e99"
DELIVERED = "#0b5d3b"
FAILED = "#a8321c"


@dataclass(frozen=True)
class Point:
    """One minute of the chart: when, queue depth, deliveries and failed attempts in that minute."""

    at: datetime
    queued: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class ChartText:
    """The chart's texts, already translated."""

    title: str
    description: str
    queued: str
    per_minute: str
    delivered: str
    failed: str
    empty: str


def _x(at: datetime, start: datetime, end: datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    return MARGIN + (WIDTH - 2 * MARGIN) * min(max((at - start).total_seconds() / span, 0.0), 1.0)


def _scale(top: float, value: float, largest: float) -> float:
    return top + PANEL - PANEL * (value / largest if largest else 0.0)


def queue_chart_svg(points: list[Point], text: ChartText, *, end: datetime, hours: int = HOURS) -> str:
    """An SVG of queue depth (line) and per-minute deliveries and failures (bars) over the last ``hours``.

    Pure function of plain values: every text is XML-escaped, no script, no external resource.
    """
    start = end - timedelta(hours=hours)
    points = [p for p in points if start <= p.at <= end]
    top1, top2 = 40, 40 + PANEL + 50
    height = top2 + PANEL + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="t d">',
        f'<title id="t">{escape(text.title)}</title>',
        f'<desc id="d">{escape(text.description)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="22" font-family="sans-serif" font-size="15" font-weight="bold" fill="{INK}">{escape(text.title)}</text>',
    ]
    largest_queue = max([p.queued for p in points] + [1])
    largest_rate = max([max(p.delivered, p.failed) for p in points] + [1])
    for top, label, largest in ((top1, text.queued, largest_queue), (top2, text.per_minute, largest_rate)):
        parts.append(f'<text x="{MARGIN}" y="{top - 8}" font-family="sans-serif" font-size="12" fill="{INK}">'
                     f'{escape(label)} (max {largest})</text>')
        for fraction in (0.0, 0.5, 1.0):
            y = top + PANEL * fraction
            parts.append(f'<line x1="{MARGIN}" y1="{y:.1f}" x2="{WIDTH - MARGIN}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        for hour in range(0, hours + 1, 6):
            x = _x(start + timedelta(hours=hour), start, end)
            when = (start + timedelta(hours=hour)).strftime("%H:%M")
            parts.append(f'<text x="{x:.1f}" y="{top + PANEL + 14}" font-family="sans-serif" font-size="11" '
                         f'text-anchor="middle" fill="{INK}">{when}</text>')
    if not points:
        parts.append(f'<text x="{WIDTH / 2}" y="{top1 + PANEL / 2}" font-family="sans-serif" font-size="13" '
                     f'text-anchor="middle" fill="{INK}">{escape(text.empty)}</text>')
    else:
        line = " ".join(f"{_x(p.at, start, end):.1f},{_scale(top1, p.queued, largest_queue):.1f}" for p in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{QUEUED}" stroke-width="2"/>')
        bar = max(1.0, (WIDTH - 2 * MARGIN) / (hours * 60) * 0.9)
        for p in points:
            x = _x(p.at, start, end)
            for value, colour, offset in ((p.delivered, DELIVERED, 0.0), (p.failed, FAILED, bar / 2)):
                if value > 0:
                    y = _scale(top2, value, largest_rate)
                    parts.append(f'<rect x="{x + offset:.1f}" y="{y:.1f}" width="{bar / 2:.1f}" '
                                 f'height="{top2 + PANEL - y:.1f}" fill="{colour}"/>')
    legend_y = height - 10
    for n, (label, colour) in enumerate(((text.queued, QUEUED), (text.delivered, DELIVERED), (text.failed, FAILED))):
        x = MARGIN + n * 200
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{legend_y}" font-family="sans-serif" font-size="12" fill="{INK}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


async def health(request: Request) -> Response:
    """GET /console/admin/health: queues, per-instance health, dead letters and the chart."""
    await require_admin(request)
    return await render(
        request, "admin/health.html",
        stats=await delivery_stats(), instances=await instance_health(),
        dead=await dead_deliveries(limit=DEAD_SHOWN), moment=now(),
    )


async def queue_chart(request: Request) -> Response:
    """GET /console/admin/health/queue.svg: the last 24 hours of queue samples."""
    await require_admin(request)
    _ = gettext_for(request)
    samples = await recent_samples(HOURS)
    points = [Point(s.sampled_at, s.queued, s.delivered, s.failed) for s in samples]
    last = points[-1] if points else None
    description = (
        _("Over the last 24 hours: %(minutes)d minutes sampled; %(delivered)d deliveries and %(failed)d failed "
          "attempts; the queue held at most %(most)d deliveries and now holds %(now)d.") % {
            "minutes": len(points), "delivered": sum(p.delivered for p in points), "failed": sum(p.failed for p in points),
            "most": max([p.queued for p in points] + [0]), "now": last.queued if last else 0,
        }
    )
    text = ChartText(
        title=_("Delivery queue, last 24 hours"), description=description, queued=_("Queued deliveries"),
        per_minute=_("Per minute"), delivered=_("Delivered"), failed=_("Failed attempts"),
        empty=_("No samples yet: the worker records one every minute."),
    )
    svg = queue_chart_svg(points, text, end=now())
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "private, max-age=30", "Vary": "Accept-Language, Cookie", "X-Content-Type-Options": "nosniff",
    })
