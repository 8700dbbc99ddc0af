"""The deployment recipes in deploy/: the nginx site file in front of a real ``hub serve``, and the systemd unit.

Visitors connect to nginx from different loopback addresses (127.0.0.2, 127.0.0.3); nginx itself
connects to the hub from 127.0.0.1. With HUB_TRUSTED_PROXIES=127.0.0.1/32 each visitor has their
own sign-in budget and a forged X-Forwarded-For buys nothing; without it, every visitor is the
proxy and they share one budget.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.services.signin import PER_ACCOUNT_LIMIT, PER_ADDRESS_LIMIT
from tests.integration.hubs import Hub
from tests.integration.nginx import Nginx, nginx_binary, start_nginx
from tests.support.processes import wait_until_sync
from tests.web.conftest import CSRF_RE

pytestmark = [pytest.mark.integration]

REPO_ROOT = Path(__file__).resolve().parents[2]
UNIT_FILE = REPO_ROOT / "deploy" / "causeway.service"
TOKEN = "metrics-token-0123456789abcdef"
VISITOR_A, VISITOR_B = "127.0.0.2", "127.0.0.3"


@pytest.fixture
def nginx_in_front(tmp_path: Path) -> Iterator:
    """``nginx_in_front(hub)`` starts nginx with the repository's site file in front of the hub; stopped at teardown."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (make nginx)")
    started: list[Nginx] = []

    def start(hub: Hub) -> Nginx:
        server = start_nginx(binary, f"127.0.0.1:{hub.port}", tmp_path / f"nginx-{hub.port}")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def visitor(nginx: Nginx, address: str, forwarded_for: str | None = None) -> httpx.Client:
    """A browser on ``address`` talking HTTPS to nginx (self-signed certificate), optionally forging X-Forwarded-For."""
    transport = httpx.HTTPTransport(local_address=address, verify=False)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.Client(transport=transport, base_url=nginx.base, headers=headers, timeout=30, trust_env=False)


def ask_link(client: httpx.Client, handle: str) -> int:
    """Ask for a sign-in link for ``handle`` through the sign-in form; the HTTP status."""
    token = CSRF_RE.search(client.get("/login").text).group(1)
    return client.post("/login/link", data={"csrf_token": token, "handle": handle}).status_code


def use_up_budget(nginx: Nginx, handles: list[str]) -> None:
    """Visitor A asks for PER_ADDRESS_LIMIT links, spread over accounts so no account's own limit is reached."""
    with visitor(nginx, VISITOR_A) as client:
        for n in range(PER_ADDRESS_LIMIT):
            assert ask_link(client, handles[n // PER_ACCOUNT_LIMIT]) == 200, n


def requested_from(hub: Hub, handle: str) -> list[str]:
    """The addresses the hub recorded for an account's sign-in links."""
    rows = hub.query("SELECT t.requested_ip FROM login_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.handle = %s",
                     handle)
    return [row["requested_ip"] for row in rows]


def handles_on(peer, count: int) -> list[str]:
    """``count`` accounts on the Mastodon-like peer, as handles."""
    return [f"{peer.control('actors', {'name': f'user{n}'})['name']}@{peer.domain}" for n in range(count)]


def test_behind_nginx_the_sign_in_limit_is_keyed_on_the_forwarded_client(hub_factory, peer_factory, nginx_in_front) -> None:
    """With HUB_TRUSTED_PROXIES, through the repo's nginx site: one budget per visitor, forged headers ignored, logs right."""
    # Given a hub that trusts its nginx, and nginx started from deploy/nginx-causeway.conf
    peer = peer_factory()
    handles = handles_on(peer, PER_ADDRESS_LIMIT // PER_ACCOUNT_LIMIT + 3)
    hub = hub_factory("trusting", HUB_TRUSTED_PROXIES="127.0.0.1/32", HUB_OPEN_GROUP_CREATION="true", HUB_METRICS_TOKEN=TOKEN)
    hub.start()
    nginx = nginx_in_front(hub)
    # When visitor A uses up their sign-in budget, their next request is refused
    use_up_budget(nginx, handles)
    with visitor(nginx, VISITOR_A) as client:
        assert ask_link(client, handles[-3]) == 429
    # Then visitor B, even claiming to be A in X-Forwarded-For, has a budget of their own
    with visitor(nginx, VISITOR_B, forwarded_for=VISITOR_A) as client:
        assert ask_link(client, handles[-2]) == 200
    # (the link is made after the answer is sent, so that its timing says nothing about membership)
    wait_until_sync(lambda: requested_from(hub, handles[-2]) == [VISITOR_B], timeout=10, message="B's link, recorded under B")
    assert set(requested_from(hub, handles[0])) == {VISITOR_A}
    # and the access log names the visitors, not the proxy
    wait_until_sync(lambda: f'{VISITOR_B}:0 - "POST /login/link HTTP/1.1" 200' in hub.log(), timeout=10, message="access log")
    assert '127.0.0.1:0 - "POST /login/link' not in hub.log()

    # /healthz answers load balancers through nginx; /metrics needs the token; plain HTTP is sent to HTTPS
    with visitor(nginx, VISITOR_B) as client:
        wait_until_sync(lambda: client.get("/healthz").status_code == 200, timeout=30, message="healthy through nginx")
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    redirect = httpx.get(f"http://127.0.0.1:{nginx.http_port}/groups/x", follow_redirects=False, trust_env=False)
    assert redirect.status_code == 301 and redirect.headers["location"].startswith("https://127.0.0.1/groups/x")


def test_without_trusted_proxies_forwarded_addresses_are_ignored(hub_factory, peer_factory, nginx_in_front) -> None:
    """Without HUB_TRUSTED_PROXIES every visitor behind nginx is the proxy: A's requests spend B's budget too."""
    peer = peer_factory()
    handles = handles_on(peer, PER_ADDRESS_LIMIT // PER_ACCOUNT_LIMIT + 3)
    hub = hub_factory("plain", HUB_OPEN_GROUP_CREATION="true")
    hub.start()
    nginx = nginx_in_front(hub)
    use_up_budget(nginx, handles)
    with visitor(nginx, VISITOR_B) as client:
        assert ask_link(client, handles[-2]) == 429
    wait_until_sync(lambda: set(requested_from(hub, handles[0])) == {"127.0.0.1"}, timeout=10, message="links recorded under the proxy")


def test_systemd_unit_is_valid(tmp_path: Path) -> None:
    """deploy/causeway.service passes `systemd-analyze verify` (with ExecStart pointed at this checkout's hub), else parses."""
    text = UNIT_FILE.read_text()
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read_string(text)
    assert parser.sections() == ["Unit", "Service", "Install"]
    service = parser["Service"]
    assert service["ExecStart"].split()[1:] == ["serve", "--host", "127.0.0.1", "--port", "8000"]
    assert "Environment=HUB_TRUSTED_PROXIES=127.0.0.1/32,::1/128" in text.splitlines()
    assert service["User"] == "causeway" and service["ReadWritePaths"] == "/var/lib/causeway"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    hub_command = Path(sys.executable).with_name("hub")
    unit = tmp_path / "causeway.service"
    unit.write_text(text.replace("/opt/causeway/.venv/bin/hub", str(hub_command)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "causeway.service" in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr
