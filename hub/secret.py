"""The hub's secret key: generated into HUB_DATA_DIR on first start (mode 600) and reused after."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "secret.key"


def load_or_create_secret(data_dir: Path) -> bytes:
    """Read the secret key from ``data_dir``, creating it (readable by the owner only) if missing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        value = path.read_bytes().strip()
        if len(value) < 32:
            raise ValueError(f"{path} is too short to be a secret key; delete it to generate a new one")
        return value
    with os.fdopen(fd, "wb") as handle:
        value = secrets.token_hex(32).encode()
        handle.write(value + b"\n")
    return value
