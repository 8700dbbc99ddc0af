"""First run, as the README tells a newcomer: `make run`, open the address it prints, sign in.

The real `make run` runs in this checkout with HUB_DATA_DIR in a temporary directory (so ./data is
not touched) and every other HUB_* variable removed; it binds the README's port, 8000, so the module
skips (with the reason) when something else already listens there. The administrator is made with
the command the README gives (`.venv/bin/hub admin create`).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import REPO_ROOT, describe
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

README = REPO_ROOT / "README.md"
FIRST_RUN = re.compile(r"^make run\s+#.*?\b(https?://[\w.:\[\]-]+)", re.MULTILINE)
ADMIN, PASSWORD = "admin", "first run password 1"
STYLED = """() => {
    const sheet = [...document.styleSheets].find(s => s.href && s.href.endsWith('/static/causeway.css'));
    return Boolean(sheet && sheet.cssRules.length > 0 && getComputedStyle(document.body).marginTop === '0px');
}"""
"""True when causeway.css was loaded and applies (it sets the body's margin to 0; browsers default to 8px)."""


def readme_address() -> str:
    """The address the README's first command block says `make run` serves."""
    match = FIRST_RUN.search(README.read_text())
    assert match, "README.md has no `make run    # … http://…` line"
    return match.group(1).rstrip("/.,")


@dataclass
class FirstRun:
    """The running `make run` and what a newcomer knows: the README's address and the admin's password."""

    process: ServerProcess
    address: str


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (then this module cannot bind it)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstRun]:
    """`make run` in this checkout on a fresh data directory, serving the README's address, with an admin."""
    address = readme_address()
    parts = urlsplit(address)
    assert parts.port == 8000, f"the README's address {address} is not on port 8000"
    if port_taken(parts.hostname, parts.port):
        pytest.skip(f"port {parts.port} on {parts.hostname} is taken by another process: the first-run test needs it")
    data = tmp_path_factory.mktemp("first-run") / "data"
    repo_data_existed = (REPO_ROOT / "data").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    process = ServerProcess(["make", "--no-print-directory", "run"], env=env, cwd=REPO_ROOT, inherit_env=False, name="make-run")
    try:
        process.wait_http(address + "/", deadline=240, ok_statuses=lambda status: status == 200)
        created = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "hub"), "admin", "create", ADMIN, "--password-stdin"],
                                 input=PASSWORD + "\n", env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        yield FirstRun(process, address)
    finally:
        process.stop()  # SIGTERM to make and the hub: make reports the signal, the hub stops cleanly
    log = process.log_text()
    assert "Causeway stopped" in log and "Traceback" not in log, log
    assert (data / "hub.sqlite3").exists(), "make run did not use HUB_DATA_DIR"
    assert repo_data_existed or not (REPO_ROOT / "data").exists(), "make run wrote ./data although HUB_DATA_DIR was set"


def sign_in(page, address: str) -> None:
    """From the page shown, follow "Sign in" and use the admin's password; land on the console."""
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{address}/login")
    assert page.evaluate(STYLED), "the sign-in page is unstyled"
    page.get_by_label("User name", exact=True).fill(ADMIN)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url(f"{address}/console")
    body = page.locator("main").inner_text()
    assert "You are signed in." in body and "The form expired" not in body


def test_the_readme_address_serves_a_styled_hub_where_the_admin_signs_in(first_run: FirstRun, page, axe) -> None:
    """Exactly the README's address: the example group, the stylesheet applied, no console error, password sign-in works."""
    log = first_run.process.log_text()
    assert first_run.address in log, log
    page.goto(first_run.address)
    assert page.url.rstrip("/") == first_run.address
    assert page.evaluate(STYLED), "the stylesheet was not applied"
    assert page.locator(".directory li", has_text="Climate Action").count() == 1
    assert not axe(page), describe(axe(page))
    sign_in(page, first_run.address)
    assert page.console_errors == []


def test_localhost_leads_to_the_same_hub(first_run: FirstRun, page) -> None:
    """Typing http://localhost:8000 instead lands on the README's address, styled, and signing in works there too."""
    page.goto(f"http://localhost:{urlsplit(first_run.address).port}/groups/climate")
    assert page.url == f"{first_run.address}/groups/climate"
    assert page.evaluate(STYLED), "the stylesheet was not applied after the redirect"
    sign_in(page, first_run.address)
    assert page.console_errors == []


def test_the_first_page_works_on_a_phone(first_run: FirstRun, page, axe) -> None:
    """At 390 px the README's address is styled, no wider than the screen, and has no serious accessibility fault."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(first_run.address)
    assert page.evaluate(STYLED)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not axe(page), describe(axe(page))
    sign_in(page, first_run.address)
    assert page.console_errors == []
