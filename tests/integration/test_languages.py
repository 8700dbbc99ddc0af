"""Languages end to end with real processes: a hub and the Mastodon-like peer.

A member who writes in Spanish (her posts carry ``contentMap: {"es": …}``) gets the group's direct
messages in Spanish; a member whose language the hub does not know gets them in the group's language.
"""

from __future__ import annotations

import pytest

from tests.integration.test_campaigns import direct_messages, received
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]


def test_a_spanish_writing_member_gets_spanish_confirmations(hub_factory, peer_factory):
    """Lucía posts in Spanish, answers a call and asks for alerts: every reply is Spanish, her time in the call's zone."""
    # Given a Berlin group that writes German to people whose language it does not know
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Nachbarschaftshilfe", "--language", "de", "--time-zone", "Europe/Berlin",
            "--city", "Berlin", "--country", "DE")
    hub.start()
    peer = peer_factory()
    lucia = peer.control("actors", {"name": "lucia"})
    jonas = peer.control("actors", {"name": "jonas"})
    group_url = hub.group_url("aid")
    for name in ("lucia", "jonas"):
        peer.control("follow", {"actor": name, "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="two Accepts")

    # When Lucía writes to the group in Spanish
    peer.control("post", {"actor": "lucia", "content": "¡Hola! ¿Qué necesitáis para el sábado?", "mentions": [group_url],
                          "language": "es"})
    wait_until_sync(lambda: hub.query("SELECT language FROM posts WHERE language = 'es'"), timeout=20,
                    message="her post stored with its language")
    page = hub.get("/groups/aid").text
    assert 'lang="es"' in page and "¿Qué necesitáis" in page

    # And the organisers publish a call with a real time in Lisbon's zone; both members answer it
    hub.cli("call", "create", "aid", "--what", "Sandsäcke füllen", "--when", "2026-12-05T09:00", "--zone", "Europe/Lisbon",
            "--needed", "3")
    question = wait_until_sync(lambda: [a["object"] for a in received(peer, "Create") if a["object"]["type"] == "Question"],
                               timeout=20, message="the call as a Question")[0]
    assert question["startTime"] == "2026-12-05T09:00:00Z" and "Wann:" in question["content"]
    assert list(question["contentMap"]) == ["de"]
    peer.control("post", {"actor": "lucia", "content": "¡Me apunto!", "in_reply_to": question["id"], "mentions": [group_url],
                          "language": "es"})
    assert peer.control("vote", {"actor": "jonas", "question": question["id"]})["status"] == 202

    # Then Lucía's confirmation is Spanish, with the time in the call's zone, named, and says its language
    spanish = wait_until_sync(lambda: direct_messages(peer, lucia["id"], "Te has apuntado: Sandsäcke füllen."), timeout=20,
                              message="a Spanish confirmation")[0]
    assert "de 3 personas apuntadas" in spanish["content"]
    assert "5 dic 2026" in spanish["content"] and "9:00 (hora estándar de Europa occidental)" in spanish["content"]
    assert list(spanish["contentMap"]) == ["es"]
    # And Jonas, who only voted (the hub knows no language of his), hears it in the group's language, German
    german = wait_until_sync(lambda: direct_messages(peer, jonas["id"], "Du bist dabei: Sandsäcke füllen."), timeout=20,
                             message="a German confirmation")[0]
    assert "05.12.2026" in german["content"] and "Westeuropäische Normalzeit" in german["content"]
    assert list(german["contentMap"]) == ["de"]

    # When Lucía asks for alerts in Spanish, the answer is Spanish too
    peer.control("post", {"actor": "lucia", "content": "alertas sí", "mentions": [group_url], "visibility": "direct",
                          "language": "es"})
    wait_until_sync(lambda: direct_messages(peer, lucia["id"], "Alertas activadas"), timeout=20, message="alerts on, in Spanish")
    hub.cli("alert", "send", "aid", "Hochwasser: Flussviertel verlassen")
    alert = wait_until_sync(lambda: direct_messages(peer, lucia["id"], "Urgente de Nachbarschaftshilfe"), timeout=20,
                            message="the alert framed in Spanish")[0]
    assert "Hochwasser" in alert["content"]
