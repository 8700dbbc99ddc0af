"""Private keys and the hub's secret never leave it: not in any response, not in the logs; secret.key is 0600."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from hub import logs
from hub.models import Group, InstanceKey, Post
from hub.secret import SECRET_FILE, load_or_create_secret
from tests.federation.harness import OTHER_KEY, PUBLIC, Hub, running_hub

pytestmark = pytest.mark.db

PARAMS = {
    "slug": "climate", "version": "2.0", "code": "en", "name": "x.png", "token": "x", "campaign": "x",
    "call_id": "1", "kind": "x", "object_id": "1", "membership_id": "1", "action": "x",
}
ACCEPTS = ("text/html", "application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "application/json")
EXTRA_URLS = (
    "/.well-known/webfinger?resource=acct:climate@hub.test",
    "/.well-known/webfinger?resource=http://hub.test/groups/climate",
    "/.well-known/webfinger?resource=acct:nosuch@hub.test",
    "/groups/climate/outbox?page=true",
    "/groups/nosuch",
    "/posts/999999",
    "/no/such/page",
)


async def secrets_of(hub: Hub) -> list[str]:
    """Every private key body line (of the groups and the instance) and the hub's secret: none may leak."""
    pems = [g.private_key_pem for g in await Group.all()] + [k.private_key_pem for k in await InstanceKey.all()]
    lines = {line for pem in pems for line in pem.splitlines() if len(line) > 40 and "-----" not in line}
    return ["PRIVATE KEY", hub.app.state.secret.decode(), *sorted(lines)]


async def populated(hub: Hub) -> Post:
    """A group with a member and a published post, queues drained."""
    await hub.group("climate")
    alice = hub.world.person("alice")
    await hub.member(alice)
    note = {"id": f"{alice.id}/statuses/1", "type": "Note", "attributedTo": alice.id, "content": "<p>hello</p>", "to": [PUBLIC], "cc": [hub.group_id()]}
    response = await hub.signed_post(hub.inbox(), {"id": f"{alice.id}/a/1", "type": "Create", "actor": alice.id, "object": note}, alice)
    assert response.status_code == 202
    await hub.drain()
    return await Post.get(uri=note["id"])


def get_urls(hub: Hub, post: Post) -> list[str]:
    """A GET URL for every route that answers GET, path parameters filled in, plus discovery and error URLs."""
    urls = []
    for route in hub.app.routes:
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            values = {**PARAMS, "post_id": str(post.id)}
            urls.append(re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), route.path))
    return urls + list(EXTRA_URLS)


async def test_no_response_contains_a_private_key_or_the_secret(database_url: str, tmp_path: Path) -> None:
    """Every GET endpoint (actors, collections, WebFinger, NodeInfo, pages, error pages) in every format is clean."""
    async with running_hub(database_url, tmp_path) as hub:
        post = await populated(hub)
        forbidden = await secrets_of(hub)
        urls = get_urls(hub, post)
        assert "/actor" in urls and "/groups/climate/followers" in urls and "/nodeinfo/2.0" in urls
        statuses = set()
        for url in urls:
            for accept in ACCEPTS:
                response = await hub.client.get(url, headers={"Accept": accept})
                statuses.add(response.status_code)
                for secret in forbidden:
                    assert secret not in response.text, f"{url} ({accept}) leaks {secret[:20]}…"
                    assert secret not in str(response.headers), f"{url} headers leak {secret[:20]}…"
        assert {200, 404} <= statuses, "both content and error pages were looked at"
        group_actor = (await hub.client.get("/groups/climate", headers={"Accept": "application/activity+json"})).json()
        assert "PUBLIC KEY" in group_actor["publicKey"]["publicKeyPem"]


async def test_logs_of_a_busy_run_contain_no_private_key(database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Joining, posting, refused signatures, failing deliveries and fetches log no key material, even at DEBUG."""
    root_level = logging.getLogger().level
    logs.configure("debug")  # as `hub serve` does with HUB_LOG_LEVEL=debug
    caplog.set_level(logging.DEBUG)
    try:
        await _busy_run(database_url, tmp_path, caplog)
    finally:
        logging.getLogger().setLevel(root_level)


async def _busy_run(database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running_hub(database_url, tmp_path) as hub:
        await populated(hub)
        # a refused signature, a key that cannot be fetched, a delivery that breaks
        mallory = hub.world.person("mallory")
        bob = hub.world.person("bob")
        hub.world.respond(bob.id, 500)
        await hub.signed_post(hub.inbox(), {"id": f"{mallory.id}/a/1", "type": "Follow", "actor": bob.id, "object": hub.group_id()}, mallory)
        await hub.signed_post(hub.inbox(), {"id": f"{bob.id}/a/1", "type": "Follow", "actor": bob.id, "object": hub.group_id()}, bob)
        carol = hub.world.person("carol")

        def broken(request: httpx.Request) -> httpx.Response:
            raise RuntimeError("connection reset while sending")

        hub.world.respond(carol.inbox, broken)
        hub.world.respond(f"https://{carol.host}/inbox", broken)
        await hub.signed_post(hub.inbox(), {"id": f"{carol.id}/a/1", "type": "Follow", "actor": carol.id, "object": hub.group_id()}, carol)
        await hub.drain()
        forbidden = await secrets_of(hub)
    assert caplog.records, "the run logged something"
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in forbidden:
        assert secret not in text, f"the log leaks {secret[:20]}…"


def test_redaction_covers_pems_escaped_cut_short_and_in_tracebacks() -> None:
    """Private keys go whether the newlines are real or escaped, the PEM is whole or cut, in the message or the traceback."""
    pem = OTHER_KEY.private_pem
    assert logs.redact_private_keys(f"params ({pem!r}, 'x')") == f"params ('{logs.REDACTED}\\n', 'x')"
    assert "PRIVATE" not in logs.redact_private_keys(pem[:200])
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "stored %s", (pem,), None)
    try:
        raise ValueError(f"Length of {pem!r} > 255")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert logs.RedactPrivateKeys().filter(record)
    assert "PRIVATE KEY" not in record.getMessage() and "PRIVATE KEY" not in record.exc_text


def test_secret_key_file_is_created_and_kept_owner_only(tmp_path: Path) -> None:
    """secret.key is created 0600, and a copy made readable by others is tightened back to 0600."""
    load_or_create_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    load_or_create_secret(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_the_running_app_leaves_its_secret_owner_only(database_url: str, tmp_path: Path) -> None:
    """create_app writes HUB_DATA_DIR/secret.key with mode 0600."""
    async with running_hub(database_url, tmp_path) as hub:
        path = Path(hub.settings.data_dir) / SECRET_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
