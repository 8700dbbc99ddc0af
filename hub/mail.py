"""Sending one plain-text email through the operator's mail server (HUB_SMTP_*), off the event loop.

Used only by the worker (organisers' notifications), never while answering a request. Failures
raise :class:`MailError` with a message naming the server, so the worker retries the event later.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from hub.settings import SmtpSettings

MAX_SUBJECT = 200


class MailError(Exception):
    """The mail server refused the message or could not be reached."""


def message(smtp: SmtpSettings, to: str, subject: str, body: str) -> EmailMessage:
    """The email as sent: From the hub's sender, one recipient, a one-line subject, a plain-text body."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())[:MAX_SUBJECT]
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def _send_blocking(smtp: SmtpSettings, msg: EmailMessage) -> None:
    context = ssl.create_default_context()
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(msg)


async def send(smtp: SmtpSettings, to: str, subject: str, body: str) -> None:
    """Send one message (in a thread: smtplib blocks); MailError when it was not accepted."""
    msg = message(smtp, to, subject, body)
    try:
        await asyncio.to_thread(_send_blocking, smtp, msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the mail server {smtp.host}:{smtp.port} did not take the message to {to}: {exc}") from exc
