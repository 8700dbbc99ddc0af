"""Tests for federation.signing_threads and the worker's signing of deliveries off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from federation import delivery, worker as worker_module
from federation.context import build_federation
from federation.signatures import inspect_request, verify_claim
from federation.signing_threads import SigningThreads
from federation.worker import Worker
from hub.models import Delivery, Group
from hub.queue import finish
from hub.settings import load_settings
from tests.federation.signatures.fixtures import PRIVATE_PEM, PUBLIC_PEM

GROUP_URI = "http://127.0.0.1:8123/groups/climate"


def _where(value: int) -> tuple[str, int]:
    if value < 0:
        raise ValueError("negative")
    return threading.current_thread().name, value * 2


async def test_signing_runs_on_a_signing_thread_and_raises_its_errors_here() -> None:
    """With two threads the function runs on a causeway-sign thread; its exception reaches the caller; close and reuse."""
    threads = SigningThreads(2)
    try:
        name, doubled = await threads.run(_where, 21)
        assert name.startswith("causeway-sign") and doubled == 42
        with pytest.raises(ValueError, match="negative"):
            await threads.run(_where, -1)
        threads.close()
        assert (await threads.run(_where, 1))[0].startswith("causeway-sign")  # a new pool after close
    finally:
        threads.close()


async def test_one_thread_signs_in_place() -> None:
    """With one CPU's worth of threads a hand-off would only cost: the function runs on the caller's thread."""
    threads = SigningThreads(1)
    assert await threads.run(_where, 2) == (threading.current_thread().name, 4)
    threads.close()


@contextlib.asynccontextmanager
async def inboxes(count: int) -> AsyncIterator[tuple[list[str], list[tuple[str, dict, bytes]]]]:
    """``count`` inboxes on one loopback aiohttp server, each answering 202; yields their URLs and what each got."""
    seen: list[tuple[str, dict, bytes]] = []

    async def inbox(request: web.Request) -> web.Response:
        seen.append((request.path_qs, dict(request.headers), await request.read()))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox/{n}", inbox)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield [f"http://127.0.0.1:{port}/inbox/{n}" for n in range(count)], seen
    finally:
        await runner.cleanup()


async def deliver(count: int) -> tuple[list[str], list[tuple[str, dict, bytes]]]:
    """``count`` deliveries of one Announce of the group ``climate`` to loopback inboxes, sent by one pass of a worker
    on the real network with two signing threads (30 s at most: a pass that never ends fails); the URLs and what each got."""
    fed = build_federation(load_settings({"HUB_DOMAIN": "127.0.0.1:8123", "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8"}))
    fed.signing = SigningThreads(2)
    await Group.create(slug="climate", name="Climate", private_key_pem=PRIVATE_PEM, public_key_pem=PUBLIC_PEM)

    async def nothing(fed, row) -> None:
        await finish(row, "done")

    try:
        async with inboxes(count) as (urls, seen):
            activity = {"id": f"{GROUP_URI}/activities/announce/1", "type": "Announce", "actor": GROUP_URI}
            await delivery.enqueue(activity, actor_uri=GROUP_URI, inboxes=urls)
            await asyncio.wait_for(Worker(fed, process_inbox=nothing, handle_event=nothing).run_once(), timeout=30)
    finally:
        await fed.close()
    assert await Delivery.filter(state="delivered").count() == count
    assert sorted(path for path, _, _ in seen) == sorted(urlsplit(url).path for url in urls)
    return urls, seen


async def test_the_worker_signs_real_deliveries_on_signing_threads(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the real network, 20 deliveries are signed in chunks on the signing threads, and each arrives with a
    signature that verifies against the group's key, for its own inbox, with its own body."""
    signed_on: list[tuple[str, int]] = []
    sign_posts = delivery.sign_posts

    def recording(sends):
        signed_on.append((threading.current_thread().name, len(sends)))
        return sign_posts(sends)

    monkeypatch.setattr(worker_module, "sign_posts", recording)
    urls, seen = await deliver(20)
    assert signed_on and all(name.startswith("causeway-sign") for name, _ in signed_on)
    assert sum(count for _, count in signed_on) == 20 and max(count for _, count in signed_on) <= worker_module.SIGN_CHUNK
    host = urlsplit(urls[0]).netloc
    for path, headers, body in seen:
        claim = inspect_request("POST", f"http://{host}{path}", path, headers, body, expected_host=host)
        assert verify_claim(claim, PUBLIC_PEM).key_id.endswith("/groups/climate#main-key") and b'"Announce"' in body


async def test_a_failing_signing_thread_leaves_each_send_to_sign_in_place(db, monkeypatch: pytest.MonkeyPatch,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """When the signing threads fail (no thread can start, say), every delivery is still signed, sent and recorded
    once: the pool is only a speed-up. (Before, each send broke, was released and claimed again: the pass never ended.)"""
    def failing(sends):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(worker_module, "sign_posts", failing)
    _, seen = await deliver(10)
    assert len(seen) == 10 and "signing in place" in caplog.text
