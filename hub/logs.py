"""Logging for the hub's processes: one format, and private keys redacted from every record.

At ``HUB_LOG_LEVEL=debug`` libraries log what they send to the database (tortoise logs each query
with its parameters), which includes the PEM private keys of groups and of the instance actor when
they are stored. :class:`RedactPrivateKeys` rewrites any record whose message contains a private
key, so no log line or log file ever holds one.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[private key redacted]"
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.DOTALL)


def redact_private_keys(text: str) -> str:
    """``text`` with every PEM private key (also one cut short or with escaped newlines) replaced."""
    return _PRIVATE_KEY.sub(REDACTED, text) if "PRIVATE KEY" in text else text


class RedactPrivateKeys(logging.Filter):
    """A handler filter that replaces private keys in a record's message (and its traceback text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to the handler
            return True
        if "PRIVATE KEY" in message:
            record.msg, record.args = redact_private_keys(message), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if "PRIVATE KEY" in text:
                record.exc_text = redact_private_keys(text)
        elif record.exc_text and "PRIVATE KEY" in record.exc_text:
            record.exc_text = redact_private_keys(record.exc_text)
        return True


def configure(level: str) -> None:
    """Log to stderr at ``level`` (a HUB_LOG_LEVEL name), every root handler redacting private keys."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if not any(isinstance(f, RedactPrivateKeys) for f in handler.filters):
            handler.addFilter(RedactPrivateKeys())
