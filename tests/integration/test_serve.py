"""`hub serve`: serves the home page and the example group, and shuts down cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_and_keeps_unfinished_work(hub_factory, sig):
    """A signal stops web and worker with exit 0 and no traceback; queued deliveries stay queued for the next start."""
    hub = hub_factory("a")
    hub.start("--example-group")
    home = hub.get("/")
    assert home.status_code == 200 and "Climate Action" in home.text
    assert hub.get("/groups/climate").status_code == 200
    # A delivery that cannot be sent before the stop (to a reserved address the hub may not contact)
    hub.query_write(
        "INSERT INTO deliveries (inbox, host, actor_uri, activity_uri, body, state, tries, next_try_at, created_at) "
        "VALUES ('http://192.0.2.1/inbox', '192.0.2.1', %s, 'x', '{}', 'queued', 0, '2999-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        hub.group_url("climate"),
    )
    hub.process.popen.send_signal(sig)
    code = hub.process.popen.wait(timeout=20)
    log = hub.log()
    assert code == 0, log
    assert "Traceback" not in log, log
    assert hub.queued_deliveries() == 1
    hub.start()
    assert hub.get("/").status_code == 200
