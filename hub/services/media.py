"""Images organisers attach to calls and alerts: alt text required, size-capped, metadata stripped, resized.

An upload is at most :data:`MAX_BYTES` (5 MiB); its type comes from its first bytes (PNG, JPEG, GIF,
WebP), never from a name or a browser's claim. Pillow decodes it (refusing decompression bombs
over :data:`MAX_PIXELS`), applies the EXIF orientation, and re-encodes only the pixels — EXIF
(GPS positions, camera serials), XMP, ICC and text chunks are not carried over — at most
:data:`MAX_SIDE` pixels on the longer side. Animated GIFs keep their first frame, as PNG.
The file is stored as ``HUB_DATA_DIR/media/<32 hex>.<ext>`` (served by ``/media/<name>``) and
described by a :class:`~hub.models.MediaFile` row with its alt text.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from hub.errors import InvalidInput
from hub.models import MediaFile

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000
MAX_ALT = 1500
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


@dataclass(frozen=True)
class PreparedImage:
    """Re-encoded image bytes, ready to store."""

    data: bytes
    ext: str
    media_type: str
    width: int
    height: int


def image_kind(data: bytes) -> str | None:
    """The extension of an image recognised from its magic bytes (png, jpg, gif, webp), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_alt(alt: str | None) -> str:
    """The alt text, trimmed; InvalidInput when missing or too long (screen-reader users need it)."""
    text = " ".join((alt or "").split())
    if not text:
        raise InvalidInput("describe the image in its alt text: people using screen readers rely on it")
    if len(text) > MAX_ALT:
        raise InvalidInput(f"alt text is limited to {MAX_ALT:,} characters")
    return text


def prepare_image(data: bytes, *, max_side: int = MAX_SIDE) -> PreparedImage:
    """Check, decode, strip and resize an uploaded image (pure: no files, no database)."""
    if not data:
        raise InvalidInput("the file is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"images are limited to {MAX_BYTES // (1024 * 1024)} MiB")
    kind = image_kind(data)
    if kind is None:
        raise InvalidInput("only PNG, JPEG, GIF and WebP images are accepted")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput("the image has too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as source:
            source.seek(0)
            image = ImageOps.exif_transpose(source.copy()) if kind in ("jpg", "webp", "png") else source.copy()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"the image could not be read: {exc.__class__.__name__}") from None
    image.thumbnail((max_side, max_side))
    transparency = image.info.get("transparency")
    image.info = {}  # EXIF, XMP, ICC, comments and text chunks stay behind
    out = io.BytesIO()
    if kind == "jpg":
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    elif kind == "webp":
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, format="WEBP", quality=85)
    else:
        kind = "png"
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        extra = {"transparency": transparency} if transparency is not None and image.mode in ("P", "L", "RGB") else {}
        image.save(out, format="PNG", optimize=True, **extra)
    return PreparedImage(out.getvalue(), kind, MEDIA_TYPES[kind], image.width, image.height)


def _write(directory: Path, prepared: PreparedImage) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{prepared.ext}"
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(prepared.data)
    return name


async def store_image(data_dir: Path, data: bytes, alt: str | None) -> MediaFile:
    """Check the alt text and the image, write the cleaned file and record it."""
    text = check_alt(alt)
    prepared = prepare_image(data)
    name = _write(Path(data_dir) / "media", prepared)
    return await MediaFile.create(
        name=name, media_type=prepared.media_type, alt=text, width=prepared.width, height=prepared.height,
        size=len(prepared.data),
    )
