"""Tests for web.admin_health: the administrators' federation health page and its queue chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from hub.clock import now
from hub.models import Delivery, Peer, QueueSample
from web.admin_health import ChartText, Point, queue_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
TEXT = ChartText("Queue <&>", "desc", "Queued", "Per minute", "Delivered", "Failed", "No samples")


def test_chart_is_valid_svg_with_escaped_texts_and_one_bar_per_figure() -> None:
    """Queue depth as a line and per-minute figures as bars, every text escaped, nothing outside the window."""
    end = now()
    points = [Point(end - timedelta(minutes=m), queued=100 - m, delivered=m, failed=1 if m % 2 else 0) for m in range(1, 11)]
    points.append(Point(end - timedelta(hours=30), 5, 5, 5))  # older than the window: left out
    root = ET.fromstring(queue_chart_svg(points, TEXT, end=end))
    assert root.find(f"{SVG}title").text == "Queue <&>"
    (line,) = root.findall(f"{SVG}polyline")
    assert len(line.get("points").split()) == 10
    bars = [r for r in root.findall(f"{SVG}rect") if r.get("fill") in ("#0b5d3b", "#a8321c") and r.get("width") != "12"]
    assert len(bars) == 10 + 5


def test_chart_without_samples_says_so() -> None:
    """No samples yet: the chart still renders, with a note instead of lines."""
    root = ET.fromstring(queue_chart_svg([], TEXT, end=now()))
    assert "No samples" in [t.text for t in root.iter(f"{SVG}text")]
    assert root.findall(f"{SVG}polyline") == []


async def test_health_page_needs_an_administrator(web) -> None:
    """Anonymous visitors are sent to sign in; a signed-in non-administrator gets 403, for the page and the chart."""
    assert (await web.client.get("/console/admin/health")).status_code == 303
    await web.sign_in(await web.person("bob"))
    assert (await web.client.get("/console/admin/health")).status_code == 403
    assert (await web.client.get("/console/admin/health/queue.svg")).status_code == 403


async def test_health_page_shows_servers_queues_and_dead_letters(web) -> None:
    """Failing servers first, with failures, pause, queued and dead deliveries; the chart of the samples."""
    moment = now()
    await Peer.create(host="down.example", software="mastodon", consecutive_failures=7,
                      last_failure_at=moment, paused_until=moment + timedelta(minutes=30))
    await Peer.create(host="fine.example", software="lemmy", last_success_at=moment)
    for state in ("queued", "queued", "dead"):
        await Delivery.create(inbox="https://down.example/inbox", host="down.example", actor_uri="a", activity_uri="b",
                              body="{}", next_try_at=moment, state=state, last_error="HTTP 503" if state == "dead" else None)
    await QueueSample.create(sampled_at=moment - timedelta(minutes=1), queued=2, delivered=10, failed=3, dead=1)
    await web.sign_in(await web.admin())
    page = await web.client.get("/console/admin/health")
    assert page.status_code == 200
    text = page.text
    assert text.index("down.example") < text.index("fine.example")
    assert "mastodon" in text and "lemmy" in text and "HTTP 503" in text
    chart = await web.client.get("/console/admin/health/queue.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(chart.text)
    assert "10 deliveries and 3 failed attempts" in root.find(f"{SVG}desc").text
