"""Every uploaded image — group avatars, call and alert images — goes through :func:`prepare_image`.

An upload is at most ``max_bytes`` (5 MiB; avatars 1 MiB); its type comes from its first bytes (PNG,
JPEG, GIF, WebP), never from a name or a browser's claim. Pillow reads its size first and refuses
more than :data:`MAX_PIXELS` (decompression bombs) before decoding, applies the EXIF orientation,
and copies only the pixels into a new image, re-encoded at most ``max_side`` pixels on the longer
side: EXIF (GPS positions, camera serials), XMP, ICC profiles, comments and PNG text chunks
(tEXt, iTXt, zTXt, eXIf) are not carried over. Animated GIFs keep their first frame, as PNG.

Files are stored as ``HUB_DATA_DIR/media/<32 hex>.<ext>`` (served by ``/media/<name>``), written
under a temporary name and renamed, so a reader (a backup, the web server) never sees half a file,
and never changed afterwards. Call and alert images are described by a
:class:`~hub.models.MediaFile` row with their alt text; avatars by ``Group.icon_path``, header images by
``Group.header_path``.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from hub.errors import ImageRejected, InvalidInput
from hub.models import MediaFile

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
AVATAR_MAX_BYTES = 1024 * 1024
AVATAR_SIDE = 512
HEADER_MAX_BYTES = 2 * 1024 * 1024
HEADER_SIDE = 1500
MAX_PIXELS = 40_000_000
MAX_ALT = 1500
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")
"""The names :func:`write_image` gives; nothing else under the media directory is served or backed up."""
MEDIA_DIR = "media"


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


def check_alt(alt: str | None, *, field: str | None = None) -> str:
    """The alt text, trimmed; InvalidInput (about ``field``, the form field) when missing or too long (screen-reader
    users need it)."""
    text = " ".join((alt or "").split())
    if not text:
        raise InvalidInput("describe the image in its alt text: people using screen readers rely on it", field=field)
    if len(text) > MAX_ALT:
        raise InvalidInput(f"alt text is limited to {MAX_ALT:,} characters", field=field)
    return text


def _size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _decode(data: bytes, kind: str) -> Image.Image:
    """The first frame, orientation applied; ImageRejected for bombs and anything Pillow cannot read."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRejected("pixels", f"the image has more than {MAX_PIXELS:,} pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as source:
            source.seek(0)
            source.load()
            return ImageOps.exif_transpose(source) if kind != "gif" else source.copy()
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageRejected("unreadable", f"the image could not be read: {exc.__class__.__name__}") from None


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels (and palette): no info dict, no EXIF, no ICC, no text."""
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        clean.putpalette(image.getpalette())
    return clean


def prepare_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE) -> PreparedImage:
    """Check, decode, strip and resize an uploaded image (pure: no files, no database); ImageRejected says why not."""
    if not data:
        raise ImageRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"images are limited to {_size_text(max_bytes)}")
    kind = image_kind(data)
    if kind is None:
        raise ImageRejected("type", "only PNG, JPEG, GIF and WebP images are accepted")
    decoded = _decode(data, kind)
    transparency = decoded.info.get("transparency")
    if transparency is not None and not (decoded.mode in ("P", "L") and isinstance(transparency, int)):
        decoded, transparency = decoded.convert("RGBA"), None
    decoded.thumbnail((max_side, max_side))
    image = _pixels_only(decoded)
    out = io.BytesIO()
    if kind == "jpg":
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    elif kind == "webp":
        image = image.convert("RGBA" if "A" in image.getbands() or transparency is not None else "RGB")
        image.save(out, format="WEBP", quality=85)
    else:
        kind = "png"
        extra = {"transparency": transparency} if transparency is not None and image.mode in ("P", "L") else {}
        image.save(out, format="PNG", optimize=True, **extra)
    return PreparedImage(out.getvalue(), kind, MEDIA_TYPES[kind], image.width, image.height)


def media_dir(data_dir: Path) -> Path:
    """Where uploads live: ``HUB_DATA_DIR/media``."""
    return Path(data_dir) / MEDIA_DIR


def write_image(data_dir: Path, prepared: PreparedImage) -> str:
    """Write a prepared image under a fresh random name (whole or not at all); returns the name."""
    directory = media_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{prepared.ext}"
    partial = directory / f".{name}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(prepared.data)
        os.link(partial, directory / name)
    finally:
        partial.unlink(missing_ok=True)
    return name


def discard(data_dir: Path, name: str | None) -> None:
    """Delete a stored file that is no longer used (names that are not ours are ignored)."""
    if name and NAME_RE.match(name):
        (media_dir(data_dir) / name).unlink(missing_ok=True)


def store_avatar(data_dir: Path, data: bytes) -> str:
    """Clean an avatar (at most :data:`AVATAR_MAX_BYTES`, :data:`AVATAR_SIDE` px) and write it; returns its file name."""
    return write_image(data_dir, prepare_image(data, max_bytes=AVATAR_MAX_BYTES, max_side=AVATAR_SIDE))


def store_header(data_dir: Path, data: bytes) -> str:
    """Clean a group's header image (at most :data:`HEADER_MAX_BYTES`, :data:`HEADER_SIDE` px on its longer side,
    metadata stripped as avatars' are) and write it; returns its file name."""
    return write_image(data_dir, prepare_image(data, max_bytes=HEADER_MAX_BYTES, max_side=HEADER_SIDE))


async def store_image(data_dir: Path, data: bytes, alt: str | None, *, image_field: str | None = None,
                      alt_field: str | None = None) -> MediaFile:
    """Check the alt text and the image, write the cleaned file and record it; a refusal names ``alt_field`` or
    ``image_field``, the form fields the alt text and the image came from."""
    text = check_alt(alt, field=alt_field)
    try:
        prepared = prepare_image(data)
    except ImageRejected as exc:
        raise ImageRejected(exc.code, str(exc), field=image_field) from None
    name = write_image(data_dir, prepared)
    return await MediaFile.create(
        name=name, media_type=prepared.media_type, alt=text, width=prepared.width, height=prepared.height,
        size=len(prepared.data),
    )


async def forget(data_dir: Path, image: MediaFile | None) -> None:
    """Delete an image stored for something that was then refused (its row and its file): nothing refers to it."""
    if image is None:
        return
    await MediaFile.filter(id=image.id).delete()
    discard(data_dir, image.name)
