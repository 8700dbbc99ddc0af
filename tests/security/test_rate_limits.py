"""Rate limits cannot be turned against others (issue 21 item 2).

A request is charged to its sending address until its signature is verified; only a verified signer
spends its own and its server's budget, and the server budget is keyed on the registrable domain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from publicsuffixlist import PublicSuffixList

from federation.ratelimit import InboxLimiter, registrable_domain
from tests.federation.harness import OTHER_KEY, SignOptions, running_hub

pytestmark = pytest.mark.db


class Clock:
    """A clock the test moves by hand."""

    t = 1000.0

    def __call__(self) -> float:
        return self.t


def like(actor_id: str, group: str, n: int) -> dict:
    """A Like of the group by ``actor_id``."""
    return {"id": f"{actor_id}/likes/{n}", "type": "Like", "actor": actor_id, "object": group}


def test_registrable_domain_groups_subdomains_and_keeps_addresses() -> None:
    """Subdomains share their registrable domain; IP addresses and ports are handled."""
    suffixes = PublicSuffixList()
    assert registrable_domain("a.b.example.co.uk", suffixes) == "example.co.uk"
    assert registrable_domain("social.example.com:8443", suffixes) == "example.com"
    assert registrable_domain("alice.github.io", suffixes) == "alice.github.io"
    assert registrable_domain("203.0.113.9", suffixes) == "203.0.113.9"
    assert registrable_domain("[2001:db8::1]", suffixes) == "[2001:db8::1]"


async def test_forged_requests_naming_a_victim_do_not_spend_the_victims_budget(database_url: str, tmp_path: Path) -> None:
    """POSTs that only name the victim's keyId, with a wrong signature, leave the victim's allowance untouched."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        hub.fed.inbox_limiter = InboxLimiter(2, 100, clock=Clock(), per_address=100)
        victim = hub.world.person("victim")
        forged = SignOptions(key=OTHER_KEY, key_id=victim.key_id)
        for n in range(5):
            response = await hub.signed_post(hub.inbox(), like(victim.id, hub.group_id(), n), victim, sign=forged)
            assert response.status_code == 401
        genuine = [await hub.signed_post(hub.inbox(), like(victim.id, hub.group_id(), n), victim) for n in (10, 11)]
        assert [r.status_code for r in genuine] == [202, 202]


async def test_unverified_requests_are_charged_to_the_sending_address(database_url: str, tmp_path: Path) -> None:
    """Unsigned or badly signed POSTs spend their address's budget: past it, 429 before any verification."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        hub.fed.inbox_limiter = InboxLimiter(100, 100, clock=Clock(), per_address=3)
        stranger = hub.world.person("stranger")
        statuses = [
            (await hub.signed_post(hub.inbox(), like(stranger.id, hub.group_id(), n), stranger, sign=SignOptions(unsigned=True))).status_code
            for n in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        assert hub.world.fetched(stranger.id) == 0


async def test_the_server_budget_covers_every_subdomain(database_url: str, tmp_path: Path) -> None:
    """Actors on a.example.co.uk and b.example.co.uk share one server budget."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        hub.fed.inbox_limiter = InboxLimiter(100, 2, clock=Clock(), per_address=100)
        actors = [hub.world.person("x", host=f"{sub}.example.co.uk") for sub in ("a", "b", "c")]
        statuses = [(await hub.signed_post(hub.inbox(), like(a.id, hub.group_id(), 1), a)).status_code for a in actors]
        assert statuses == [202, 202, 429]
