"""Tests for hub.secret: the secret key file is private to its owner and stable across starts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hub.secret import SECRET_FILE, load_or_create_secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_file_is_created_with_mode_600(tmp_path: Path) -> None:
    """The first call creates data_dir and a 64-hex-digit secret readable by the owner only."""
    old_umask = os.umask(0o022)
    try:
        secret = load_or_create_secret(tmp_path / "data")
    finally:
        os.umask(old_umask)
    path = tmp_path / "data" / SECRET_FILE
    assert _mode(path) == 0o600
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert path.read_bytes().strip() == secret


def test_secret_is_reused_on_second_call(tmp_path: Path) -> None:
    """A second call reads the same secret instead of generating a new one."""
    first = load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path) == first


def test_loose_mode_is_tightened(tmp_path: Path) -> None:
    """A secret file readable by group or others is chmod-ed back to 600 and still used."""
    first = load_or_create_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    path.chmod(0o644)
    assert load_or_create_secret(tmp_path) == first
    assert _mode(path) == 0o600


def test_truncated_secret_is_refused(tmp_path: Path) -> None:
    """A secret file too short to be a key is an error telling the operator to delete it."""
    (tmp_path / SECRET_FILE).write_bytes(b"short\n")
    with pytest.raises(ValueError, match="delete it"):
        load_or_create_secret(tmp_path)
