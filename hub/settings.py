"""The hub's settings, read from the environment and validated once at start.

A bad value raises :class:`SettingsError` naming the variable, the value and what is
accepted; the CLI prints that one line and exits with status 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hub.errors import SettingsError

DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")
DEFAULT_DOMAIN = "127.0.0.1:8000"
"""HUB_DOMAIN when unset: the address `hub serve` (and `make run`) listens on by default, so the ids the hub
mints, its pages' links and the address a person opens are one origin."""
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
SMTP_SECURITY = ("starttls", "tls", "none")
_DOMAIN_RE = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$")
_SOFTWARE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LEAKY_SOFTWARE = ("lemmy", "mbin", "kbin", "lotide")
"""Default of HUB_REFUSE_LEAKY_SOFTWARE: link aggregators with no followers-only visibility, which show
whatever they receive to everyone (FEDERATION-NOTES: "private posts leaking through software without a
members-only notion"). Microblogs (Mastodon, Pleroma, Misskey…) and Friendica keep followers-only posts private."""
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class SmtpSettings:
    """A mail server for organisers' notifications (HUB_SMTP_*)."""

    host: str
    """HUB_SMTP_HOST: the mail server's name or address."""
    port: int = 587
    """HUB_SMTP_PORT."""
    sender: str = ""
    """HUB_SMTP_FROM: the From address (default ``causeway@`` the hub's host name)."""
    username: str = ""
    """HUB_SMTP_USERNAME: log in when set (with HUB_SMTP_PASSWORD)."""
    password: str = field(default="", repr=False)
    """HUB_SMTP_PASSWORD."""
    security: str = "starttls"
    """HUB_SMTP_SECURITY: ``starttls`` (default), ``tls`` (implicit, port 465) or ``none`` (a local relay)."""
    timeout: float = 10.0
    """Seconds allowed for one message."""


@dataclass(frozen=True)
class Settings:
    """Everything the operator can set, already validated."""

    domain: str = DEFAULT_DOMAIN
    """host[:port] the hub is known by; part of every actor id."""
    scheme: str = "http"
    """Scheme of the ids the hub mints (http for loopback names, https otherwise)."""
    database_url: str = "sqlite://./data/hub.sqlite3"
    """Tortoise database URL (sqlite://PATH or postgres://user:pass@host:port/db)."""
    data_dir: Path = Path("./data")
    """Directory for the secret key file, uploaded media and the SQLite file."""
    allow_private_addresses: tuple[str, ...] = ()
    """CIDRs the hub may contact although they are private or loopback (tests only)."""
    authorized_fetch: bool = False
    """When true, ActivityPub GETs must carry a valid HTTP signature."""
    open_group_creation: bool = False
    """When true, any signed-in fediverse account may create a group."""
    log_level: str = "info"
    """Logging level name."""
    refuse_leaky_software: tuple[str, ...] = LEAKY_SOFTWARE
    """NodeInfo software names whose accounts may not join closed groups (they would leak members-only posts)."""
    inbox_rate_per_actor: int = 300
    """Inbox POSTs one remote actor may make per minute (0: no limit); more get 429 with Retry-After."""
    inbox_rate_per_host: int = 1200
    """Inbox POSTs one remote server may make per minute, all its actors together (0: no limit)."""
    trusted_proxies: tuple[str, ...] = ()
    """CIDRs of reverse proxies whose X-Forwarded-For names the client (empty: forwarding headers ignored)."""
    metrics_token: str | None = None
    """Bearer token /metrics requires; unset: /metrics answers only to loopback and private addresses."""
    suggested_servers: tuple[str, ...] = ("mastodon.social", "mas.to", "fosstodon.org")
    """HUB_SUGGESTED_SERVERS: fediverse servers a visitor without an account is offered to sign up on (host names)."""
    redis_url: str | None = None
    """redis://HOST[:PORT][/DB]: where processes sharing a PostgreSQL count the inbox's rate budgets (unset: in PostgreSQL)."""
    smtp: SmtpSettings | None = None
    """Where organisers' emails go; None (HUB_SMTP_HOST unset): the hub sends no email."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Unrecognised HUB_* variables, kept only to warn about typos."""

    @property
    def base_url(self) -> str:
        """The origin every id of this hub starts with, e.g. ``https://hub.example``."""
        return f"{self.scheme}://{self.domain}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite (one process, no row locks)."""
        return self.database_url.startswith("sqlite")


def split_domain(domain: str) -> tuple[str, str]:
    """``("127.0.0.1", "8000")`` from ``127.0.0.1:8000``, ``("::1", "8000")`` from ``[::1]:8000``; the port may be ``""``."""
    domain = domain.strip().lower()
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    host, _, port = domain.partition(":")
    return host, port


def is_loopback_domain(domain: str) -> bool:
    """Whether host[:port] always means this machine: localhost, *.localhost, 127.0.0.0/8, ::1."""
    host = split_domain(domain)[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_database_url(data_dir: str) -> str:
    """The SQLite file used when HUB_DATABASE_URL is not set: ``hub.sqlite3`` inside HUB_DATA_DIR."""
    return f"sqlite://{data_dir.rstrip('/') or '/'}/hub.sqlite3"


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(name, raw, "true or false")


def _database_url(raw: str) -> str:
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme not in DATABASE_SCHEMES:
        raise SettingsError("HUB_DATABASE_URL", raw, "sqlite://PATH or postgres://USER[:PASS]@HOST[:PORT]/DB")
    if scheme == "sqlite":
        if not raw[len("sqlite://") :]:
            raise SettingsError("HUB_DATABASE_URL", raw, "sqlite://PATH with a file path")
        return raw
    parts = urlsplit(raw)
    if not parts.hostname or not parts.path.strip("/"):
        raise SettingsError("HUB_DATABASE_URL", raw, "postgres://USER[:PASS]@HOST[:PORT]/DB with a host and a database")
    return "postgres://" + raw.split("://", 1)[1]


def _redis_url(raw: str) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        shown = raw if "@" not in raw else "<a URL with credentials, not shown>"
        raise SettingsError("HUB_REDIS_URL", shown, "redis://HOST[:PORT][/DB] (or rediss:// for TLS)")
    return raw


def _cidrs(raw: str, name: str = "HUB_ALLOW_PRIVATE_ADDRESSES") -> tuple[str, ...]:
    out = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(name, raw, "comma-separated CIDRs such as 127.0.0.0/8") from None
    return tuple(out)


def _software_names(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("HUB_REFUSE_LEAKY_SOFTWARE")
    if raw is None:
        return LEAKY_SOFTWARE
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    if not all(_SOFTWARE_RE.match(name) for name in names):
        raise SettingsError("HUB_REFUSE_LEAKY_SOFTWARE", raw, "comma-separated NodeInfo software names such as lemmy,mbin (empty: none)")
    return names


def _servers(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("HUB_SUGGESTED_SERVERS")
    if raw is None:
        return Settings.suggested_servers
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    if len(names) > 12 or not all(_DOMAIN_RE.match(name) and "." in name for name in names):
        raise SettingsError("HUB_SUGGESTED_SERVERS", raw, "at most 12 comma-separated server names such as mastodon.social,mas.to (empty: none)")
    return names


def _per_minute(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 1_000_000:
        raise SettingsError(name, raw, "a whole number of requests per minute (0 turns the limit off)")
    return int(raw)


def _token(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "")
    if not raw:
        return None
    if len(raw) < 16 or any(c.isspace() or not c.isprintable() for c in raw):
        # the value is a secret: say how long it is, not what it is
        raise SettingsError(name, f"<{len(raw)} characters, not shown>",
                            "a token of at least 16 printable characters without spaces (e.g. from `openssl rand -hex 32`)")
    return raw


def _smtp(env: Mapping[str, str], domain: str) -> SmtpSettings | None:
    host = env.get("HUB_SMTP_HOST", "").strip()
    if not host:
        return None
    if not _DOMAIN_RE.match(host) or ":" in host:
        raise SettingsError("HUB_SMTP_HOST", host, "a mail server's host name or address, without a port")
    security = env.get("HUB_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise SettingsError("HUB_SMTP_SECURITY", security, ", ".join(SMTP_SECURITY))
    raw_port = env.get("HUB_SMTP_PORT", "").strip()
    port = 465 if security == "tls" else 587
    if raw_port:
        if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
            raise SettingsError("HUB_SMTP_PORT", raw_port, "a port number from 1 to 65535")
        port = int(raw_port)
    sender = env.get("HUB_SMTP_FROM", "").strip() or f"causeway@{domain.rsplit(':', 1)[0].strip('[]')}"
    if sender.count("@") != 1 or any(c.isspace() or c in "<>,;\"" for c in sender):
        raise SettingsError("HUB_SMTP_FROM", sender, "one email address such as causeway@hub.example")
    return SmtpSettings(host=host, port=port, sender=sender, username=env.get("HUB_SMTP_USERNAME", "").strip(),
                        password=env.get("HUB_SMTP_PASSWORD", ""), security=security)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the HUB_* variables; raise SettingsError on the first bad one."""
    env = os.environ if env is None else env
    domain = env.get("HUB_DOMAIN", DEFAULT_DOMAIN).strip()
    port = domain.rsplit(":", 1)[1] if ":" in domain and not domain.endswith("]") else ""
    if not _DOMAIN_RE.match(domain) or (port and not (port.isdigit() and 1 <= int(port) <= 65535)):
        raise SettingsError("HUB_DOMAIN", domain, "host[:port] such as hub.example or 127.0.0.1:8000")
    domain = domain.lower()
    default_scheme = "http" if is_loopback_domain(domain) else "https"
    scheme = env.get("HUB_SCHEME", default_scheme).strip().lower() or default_scheme
    if scheme not in ("http", "https"):
        raise SettingsError("HUB_SCHEME", scheme, "http or https")
    log_level = env.get("HUB_LOG_LEVEL", "info").strip().lower() or "info"
    if log_level not in LOG_LEVELS:
        raise SettingsError("HUB_LOG_LEVEL", log_level, ", ".join(LOG_LEVELS))
    data_dir_raw = env.get("HUB_DATA_DIR", "").strip() or "./data"
    data_dir = Path(data_dir_raw)
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError("HUB_DATA_DIR", str(data_dir), "a directory (or a path where one can be created)")
    database_url = env.get("HUB_DATABASE_URL", "").strip() or default_database_url(data_dir_raw)
    known = {
        "HUB_DOMAIN", "HUB_SCHEME", "HUB_DATABASE_URL", "HUB_DATA_DIR", "HUB_ALLOW_PRIVATE_ADDRESSES",
        "HUB_AUTHORIZED_FETCH", "HUB_OPEN_GROUP_CREATION", "HUB_LOG_LEVEL",
        "HUB_REFUSE_LEAKY_SOFTWARE", "HUB_INBOX_RATE_PER_ACTOR", "HUB_INBOX_RATE_PER_HOST",
        "HUB_TRUSTED_PROXIES", "HUB_METRICS_TOKEN", "HUB_REDIS_URL", "HUB_SUGGESTED_SERVERS",
        "HUB_SMTP_HOST", "HUB_SMTP_PORT", "HUB_SMTP_FROM", "HUB_SMTP_USERNAME", "HUB_SMTP_PASSWORD", "HUB_SMTP_SECURITY",
    }
    return Settings(
        domain=domain,
        scheme=scheme,
        database_url=_database_url(database_url),
        data_dir=data_dir,
        allow_private_addresses=_cidrs(env.get("HUB_ALLOW_PRIVATE_ADDRESSES", "")),
        authorized_fetch=_bool(env, "HUB_AUTHORIZED_FETCH"),
        open_group_creation=_bool(env, "HUB_OPEN_GROUP_CREATION"),
        log_level=log_level,
        refuse_leaky_software=_software_names(env),
        inbox_rate_per_actor=_per_minute(env, "HUB_INBOX_RATE_PER_ACTOR", 300),
        inbox_rate_per_host=_per_minute(env, "HUB_INBOX_RATE_PER_HOST", 1200),
        trusted_proxies=_cidrs(env.get("HUB_TRUSTED_PROXIES", ""), "HUB_TRUSTED_PROXIES"),
        metrics_token=_token(env, "HUB_METRICS_TOKEN"),
        redis_url=_redis_url(env.get("HUB_REDIS_URL", "").strip()),
        suggested_servers=_servers(env),
        smtp=_smtp(env, domain),
        extra={k: v for k, v in env.items() if k.startswith("HUB_") and k not in known},
    )
