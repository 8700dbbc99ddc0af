"""Playwright driving Debian's Chromium (/usr/bin/chromium; nothing downloaded) against real hub processes.

Fixtures:

- ``hub_factory`` and ``peer_factory``: the real-process fixtures of ``tests/integration`` (imported).
- ``browser``: one headless Chromium per test module; the tests skip with a reason when it is absent.
- ``page``: a fresh context and page per test; when the test fails, a full-page screenshot and the
  page's HTML are kept under ``test-artifacts/`` (named after the test).
- ``axe``: ``axe(page)`` runs axe-core (from ``tests/browser/node_modules``, ``npm ci --prefix tests/browser``)
  in the page and returns its serious and critical violations.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.conftest import hub_factory, peer_factory  # noqa: F401  (fixtures shared with integration)

CHROMIUM = Path(os.environ.get("CAUSEWAY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium for the module's tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a fresh context (English, desktop size); screenshot and HTML kept when the test fails."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if is_script_error(message) else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.console_errors = console_errors
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            keep_artifacts(page, request.node.name)
        context.close()


@contextmanager
def opened_page(browser, request: pytest.FixtureRequest, width: int, *, height: int = 900, locale: str = "en-GB") -> Iterator[object]:
    """A page ``width`` px wide in a fresh context (a touch screen under 600 px). ``page.errors`` collects script
    errors and CSP refusals, ``page.width`` is the width; when the test fails, its screenshot and HTML are kept
    under test-artifacts/ (whether the block raised or, used in a fixture, the test's report says so)."""
    phone = width < 600
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if is_script_error(message) else None)
    page.errors, page.width = errors, width
    failed = False
    try:
        yield page
    except BaseException:
        failed = True
        raise
    finally:
        report = getattr(request.node, "report_call", None)
        if failed or (report is not None and report.failed):
            keep_artifacts(page, request.node.name)
        context.close()


def fits_the_screen(page) -> bool:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def is_script_error(message) -> bool:
    """Console errors that matter: CSP refusals and script errors (not HTTP error statuses we provoke)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def keep_artifacts(page, name: str) -> None:
    """Save a screenshot and the HTML of the page under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)
        (ARTIFACTS / f"{safe}.html").write_text(page.content())
    except Exception as exc:  # the page may be gone; keep what can be kept
        (ARTIFACTS / f"{safe}.error.txt").write_text(repr(exc))


@pytest.fixture
def axe() -> Callable[[object], list[dict]]:
    """``axe(page)``: the serious and critical axe-core violations on the page (WCAG 2.x A/AA rules)."""
    if not AXE_SCRIPT.exists():
        pytest.skip(f"{AXE_SCRIPT} is missing: run `npm ci --prefix tests/browser` (make test does)")
    source = AXE_SCRIPT.read_text()

    def run(page) -> list[dict]:
        page.evaluate(f"() => {{ {source}\n; window.__axe = axe; }}")
        result = page.evaluate(
            """async () => {
                const r = await window.__axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
            }"""
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    return run


def describe(violations: list[dict]) -> str:
    """A readable list of axe violations for an assertion message."""
    return json.dumps(violations, indent=2)
