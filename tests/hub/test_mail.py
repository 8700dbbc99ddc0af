"""Tests for hub.mail against a real SMTP server running in-process (aiosmtpd), not a mock."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from hub.mail import MailError, message, send
from hub.settings import SmtpSettings, load_settings
from hub.errors import SettingsError
from tests.support.processes import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses recipients in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        """Refuse listed addresses with 550, as a real server does for unknown mailboxes."""
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        """Keep the message."""
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free loopback port, with its inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_message_reaches_the_server(smtp_server) -> None:
    """A plain-text message with From, To, Subject and an auto-generated marker arrives intact."""
    inbox, port = smtp_server
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="causeway@hub.example", security="none")
    await send(smtp, "olivia@example.org", "Housing Action: someone asks\nto join", "Open the console: https://hub.example/x")
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "causeway@hub.example" and recipients == ["olivia@example.org"]
    parsed = message_from_bytes(raw)
    assert parsed["Subject"] == "Housing Action: someone asks to join"  # no header injection through the subject
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert "https://hub.example/x" in parsed.get_payload(decode=True).decode()


async def test_refusal_and_unreachable_server_raise_mail_error(smtp_server) -> None:
    """A refused recipient and a closed port both raise MailError naming the server (the worker retries)."""
    inbox, port = smtp_server
    inbox.refuse.add("nobody@example.org")
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="causeway@hub.example", security="none")
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        await send(smtp, "nobody@example.org", "s", "b")
    closed = SmtpSettings(host="127.0.0.1", port=free_port(), sender="causeway@hub.example", security="none", timeout=2)
    with pytest.raises(MailError):
        await send(closed, "olivia@example.org", "s", "b")
    assert inbox.messages == []


def test_settings_off_by_default_and_checked() -> None:
    """No HUB_SMTP_HOST: no email; bad port, security or sender: a SettingsError naming the variable."""
    assert load_settings({}).smtp is None
    smtp = load_settings({"HUB_DOMAIN": "hub.example", "HUB_SMTP_HOST": "mail.example"}).smtp
    assert (smtp.port, smtp.security, smtp.sender) == (587, "starttls", "causeway@hub.example")
    assert load_settings({"HUB_SMTP_HOST": "mail.example", "HUB_SMTP_SECURITY": "tls"}).smtp.port == 465
    for env, name in [({"HUB_SMTP_PORT": "99999"}, "HUB_SMTP_PORT"), ({"HUB_SMTP_SECURITY": "ssl3"}, "HUB_SMTP_SECURITY"),
                      ({"HUB_SMTP_FROM": "a b@c"}, "HUB_SMTP_FROM")]:
        with pytest.raises(SettingsError, match=name):
            load_settings({"HUB_SMTP_HOST": "mail.example", **env})
    assert "secret" not in repr(load_settings({"HUB_SMTP_HOST": "m.example", "HUB_SMTP_PASSWORD": "secret"}))


def test_message_headers() -> None:
    """The Message-ID is on the sender's domain."""
    smtp = SmtpSettings(host="m", sender="causeway@hub.example")
    assert message(smtp, "a@b.example", "s", "b")["Message-ID"].endswith("@hub.example>")
