"""Uploaded images: checked from their bytes, stored under generated names, served as images only.

An upload is at most :data:`MAX_BYTES`; its type is read from the file's first bytes (PNG, JPEG,
GIF, WebP), never from its name or the browser's claim. It is stored as
``HUB_DATA_DIR/media/<32 hex>.<ext>`` and served from ``/media/<name>`` with the image content type,
``nosniff`` and a sandboxing CSP, whatever the request's Accept header says — so it can never be
read as ActivityPub JSON or as a page.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from hub.services.media import MEDIA_TYPES, image_kind

MAX_BYTES = 1_048_576
CONTENT_TYPES = MEDIA_TYPES
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")


class BadImage(ValueError):
    """The bytes are not an accepted image, or too many of them; ``code`` says which (``too_large``, ``type``, ``empty``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def media_dir(data_dir: Path) -> Path:
    """Where uploads live."""
    return Path(data_dir) / "media"


async def read_upload(upload: UploadFile) -> tuple[bytes, str]:
    """The upload's bytes and extension; BadImage when empty, over the size cap or not an accepted image."""
    data = await upload.read(MAX_BYTES + 1)
    if not data:
        raise BadImage("empty")
    if len(data) > MAX_BYTES:
        raise BadImage("too_large")
    ext = image_kind(data)
    if ext is None:
        raise BadImage("type")
    return data, ext


def store(data_dir: Path, data: bytes, ext: str) -> str:
    """Write the bytes under a fresh random name; returns the name (``<32 hex>.<ext>``)."""
    directory = media_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def discard(data_dir: Path, name: str | None) -> None:
    """Delete a stored file that is no longer used (names that are not ours are ignored)."""
    if name and NAME_RE.match(name):
        (media_dir(data_dir) / name).unlink(missing_ok=True)


async def serve(request: Request) -> Response:
    """GET /media/{name}: the stored image with its own content type, or 404."""
    name = request.path_params["name"]
    match = NAME_RE.match(name)
    path = media_dir(request.app.state.settings.data_dir) / name
    if match is None or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[match.group(1)],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Disposition": "inline",
        },
    )
