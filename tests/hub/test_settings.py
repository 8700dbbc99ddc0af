"""Tests for hub.settings: every bad HUB_* value names the variable, the value and what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.db import sqlite_path
from hub.errors import SettingsError
from hub.settings import Settings, load_settings


def test_mysql_database_url_is_refused_naming_variable_value_and_choices() -> None:
    """HUB_DATABASE_URL=mysql://x raises SettingsError naming the variable, the value, sqlite and postgres."""
    with pytest.raises(SettingsError) as caught:
        load_settings({"HUB_DATABASE_URL": "mysql://x"})
    message = str(caught.value)
    assert "HUB_DATABASE_URL" in message
    assert "mysql://x" in message
    assert "sqlite://" in message and "postgres://" in message
    assert (caught.value.name, caught.value.value) == ("HUB_DATABASE_URL", "mysql://x")


@pytest.mark.parametrize("url", ["sqlite://", "postgres://nohost", "postgres://user@host", "not a url"])
def test_incomplete_database_urls_are_refused(url: str) -> None:
    """A SQLite URL without a path, or a PostgreSQL URL without host or database, is refused."""
    with pytest.raises(SettingsError, match="HUB_DATABASE_URL"):
        load_settings({"HUB_DATABASE_URL": url})


def test_postgresql_scheme_is_normalised() -> None:
    """postgresql:// URLs are accepted and normalised to the postgres:// form tortoise expects."""
    settings = load_settings({"HUB_DATABASE_URL": "postgresql://u:p@db.example:5432/hub"})
    assert settings.database_url == "postgres://u:p@db.example:5432/hub"
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("HUB_DOMAIN", "hub example", "host[:port]"),
        ("HUB_DOMAIN", "https://hub.example", "host[:port]"),
        ("HUB_DOMAIN", "hub.example:http", "host[:port]"),
        ("HUB_DOMAIN", "hub.example:99999", "host[:port]"),
        ("HUB_DOMAIN", "hub.example:0", "host[:port]"),
        ("HUB_SCHEME", "ftp", "http or https"),
        ("HUB_LOG_LEVEL", "loud", "debug, info, warning, error, critical"),
        ("HUB_ALLOW_PRIVATE_ADDRESSES", "10.0.0.0/8,not-a-network", "CIDRs"),
        ("HUB_AUTHORIZED_FETCH", "maybe", "true or false"),
        ("HUB_OPEN_GROUP_CREATION", "sometimes", "true or false"),
        ("HUB_TRUSTED_PROXIES", "127.0.0.1,proxy.internal", "CIDRs"),
    ],
)
def test_bad_values_name_the_variable_the_value_and_what_is_accepted(name: str, value: str, accepted: str) -> None:
    """Each malformed HUB_* variable raises SettingsError with a one-line actionable message."""
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert name in message and value in message and accepted in message
    assert "\n" not in message


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """HUB_DATA_DIR pointing at a regular file is refused."""
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(SettingsError, match="HUB_DATA_DIR"):
        load_settings({"HUB_DATA_DIR": str(file)})


def test_defaults() -> None:
    """With no HUB_* variables the hub is 127.0.0.1:8000 (where `hub serve` listens) over http with SQLite under ./data."""
    settings = load_settings({})
    assert settings == Settings(
        domain="127.0.0.1:8000",
        scheme="http",
        database_url="sqlite://./data/hub.sqlite3",
        data_dir=Path("./data"),
        allow_private_addresses=(),
        authorized_fetch=False,
        open_group_creation=False,
        log_level="info",
        extra={},
    )
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.is_sqlite


@pytest.mark.parametrize("data_dir", ["/srv/causeway", "/srv/causeway/", "relative/dir"])
def test_data_dir_moves_the_default_sqlite_file(data_dir: str) -> None:
    """Without HUB_DATABASE_URL the SQLite file is hub.sqlite3 inside HUB_DATA_DIR, wherever that is."""
    settings = load_settings({"HUB_DATA_DIR": data_dir})
    assert sqlite_path(settings.database_url) == Path(data_dir) / "hub.sqlite3"


def test_database_url_wins_over_data_dir() -> None:
    """An explicit HUB_DATABASE_URL is used as given, whatever HUB_DATA_DIR says."""
    settings = load_settings({"HUB_DATA_DIR": "/srv/causeway", "HUB_DATABASE_URL": "sqlite:///var/db/hub.sqlite3"})
    assert sqlite_path(settings.database_url) == Path("/var/db/hub.sqlite3")


def test_values_are_parsed() -> None:
    """Booleans, CIDR lists, upper-case domains and log levels are normalised; unknown HUB_* kept for warnings."""
    settings = load_settings({
        "HUB_DOMAIN": "Hub.Example",
        "HUB_AUTHORIZED_FETCH": "yes",
        "HUB_OPEN_GROUP_CREATION": "0",
        "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.1, 10.1.2.3/8",
        "HUB_LOG_LEVEL": "DEBUG",
        "HUB_DOMIAN": "typo.example",
    })
    assert settings.domain == "hub.example"
    assert settings.authorized_fetch is True
    assert settings.open_group_creation is False
    assert settings.allow_private_addresses == ("127.0.0.1/32", "10.0.0.0/8")
    assert settings.log_level == "debug"
    assert settings.extra == {"HUB_DOMIAN": "typo.example"}


@pytest.mark.parametrize(
    ("domain", "scheme"),
    [
        ("localhost", "http"),
        ("localhost:8000", "http"),
        ("hub.localhost:8080", "http"),
        ("127.0.0.1:8000", "http"),
        ("127.3.4.5", "http"),
        ("[::1]:8000", "http"),
        ("[::1]", "http"),
        ("hub.example", "https"),
        ("hub.example:8443", "https"),
        ("10.0.0.1:8000", "https"),
        ("localhost.example", "https"),
    ],
)
def test_default_scheme_is_http_only_for_loopback(domain: str, scheme: str) -> None:
    """The scheme defaults to http for localhost, 127.x and ::1, and to https for every other domain."""
    settings = load_settings({"HUB_DOMAIN": domain})
    assert settings.scheme == scheme
    assert settings.base_url == f"{scheme}://{domain}"


def test_explicit_scheme_overrides_the_default() -> None:
    """HUB_SCHEME=https is honoured even for localhost (behind a TLS proxy)."""
    assert load_settings({"HUB_DOMAIN": "localhost:8000", "HUB_SCHEME": "HTTPS"}).scheme == "https"


def test_trusted_proxies_and_metrics_token() -> None:
    """HUB_TRUSTED_PROXIES takes CIDRs (empty by default); HUB_METRICS_TOKEN is kept as given (unset: None)."""
    assert load_settings({}).trusted_proxies == () and load_settings({}).metrics_token is None
    settings = load_settings({"HUB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1", "HUB_METRICS_TOKEN": "s3cret-token-0123456789"})
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert settings.metrics_token == "s3cret-token-0123456789"


@pytest.mark.parametrize("token", ["short", "has a space in it, long enough"])
def test_weak_metrics_token_is_refused_without_showing_it(token: str) -> None:
    """A token that is too short or has spaces stops the start; the message does not repeat the secret."""
    with pytest.raises(SettingsError) as caught:
        load_settings({"HUB_METRICS_TOKEN": token})
    message = str(caught.value)
    assert "HUB_METRICS_TOKEN" in message and "at least 16" in message and token not in message


def test_trusted_proxies_are_cidrs() -> None:
    """HUB_TRUSTED_PROXIES takes comma-separated CIDRs (empty by default); anything else names the variable."""
    assert load_settings({}).trusted_proxies == ()
    assert load_settings({"HUB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}).trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    with pytest.raises(SettingsError, match="HUB_TRUSTED_PROXIES"):
        load_settings({"HUB_TRUSTED_PROXIES": "proxy.internal"})


def test_redis_url_is_optional_checked_and_never_echoes_a_password() -> None:
    """HUB_REDIS_URL: unset by default; a redis:// URL is kept; another scheme is refused without showing credentials."""
    assert load_settings({}).redis_url is None
    assert load_settings({"HUB_REDIS_URL": "redis://127.0.0.1:6379/2"}).redis_url == "redis://127.0.0.1:6379/2"
    with pytest.raises(SettingsError) as caught:
        load_settings({"HUB_REDIS_URL": "http://user:hunter2@cache.internal"})
    assert "HUB_REDIS_URL" in str(caught.value) and "hunter2" not in str(caught.value) and "redis://" in str(caught.value)
