"""Tests for hub.services.media: alt text required, size cap, type from bytes, metadata stripped, resized."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hub.errors import ImageRejected, InvalidInput
from hub.models import Group
from hub.services import groups, media, profiles


def jpeg_with_exif(size=(3200, 1800)) -> bytes:
    """A JPEG with a camera model, a GPS marker and an orientation tag."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x0112] = 6  # rotate 90°
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "JPEG", exif=exif.tobytes(), comment=b"private comment")
    return out.getvalue()


def test_jpeg_is_stripped_rotated_and_resized() -> None:
    """EXIF and comments are gone, the orientation is applied, the longer side is at most 1600."""
    data = jpeg_with_exif()
    prepared = media.prepare_image(data)
    assert b"SecretCam" in data and b"SecretCam" not in prepared.data and b"private comment" not in prepared.data
    assert (prepared.width, prepared.height) == (900, 1600)
    assert prepared.media_type == "image/jpeg"
    assert not Image.open(io.BytesIO(prepared.data)).getexif()


def test_png_text_chunks_are_dropped() -> None:
    """PNG tEXt chunks (software, author…) are not carried over."""
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text("Author", "Jane Secret")
    out = io.BytesIO()
    Image.new("RGBA", (20, 10)).save(out, "PNG", pnginfo=info)
    prepared = media.prepare_image(out.getvalue())
    assert b"Jane Secret" not in prepared.data and prepared.ext == "png"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"), (b"GIF89a" + b"\0" * 10, "could not be read"), (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "only PNG"),
    (b"\xff\xd8\xff" + b"\0" * (media.MAX_BYTES + 1), "5 MiB"),
])
def test_bad_uploads_are_refused(data: bytes, message: str) -> None:
    """Empty, broken, SVG (type from bytes, not name) and oversize uploads are refused with a reason."""
    with pytest.raises(InvalidInput, match=message):
        media.prepare_image(data)


def test_alt_text_is_required() -> None:
    """No alt text, no upload."""
    with pytest.raises(InvalidInput, match="alt text"):
        media.check_alt("   ")
    assert media.check_alt("  A  water station ") == "A water station"


async def test_store_image_writes_a_served_name(db, tmp_path) -> None:
    """The stored file has a generated name under media/ and a row with its alt text."""
    row = await media.store_image(tmp_path, jpeg_with_exif((400, 300)), "Volunteers at a water station")
    assert (tmp_path / "media" / row.name).is_file()
    assert row.alt == "Volunteers at a water station" and row.media_type == "image/jpeg"


def test_avatar_limits_and_codes() -> None:
    """Avatars have their own byte cap and side; every refusal carries a code the web layer translates."""
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), "navy").save(out, "PNG")
    prepared = media.prepare_image(out.getvalue(), max_bytes=media.AVATAR_MAX_BYTES, max_side=media.AVATAR_SIDE)
    assert (prepared.width, prepared.height) == (512, 256)
    with pytest.raises(ImageRejected, match="1 MiB") as refused:
        media.prepare_image(out.getvalue() + b"\0" * media.AVATAR_MAX_BYTES, max_bytes=media.AVATAR_MAX_BYTES)
    assert refused.value.code == "too_large"


def test_written_files_are_whole_and_names_strict(tmp_path) -> None:
    """write_image leaves only the final name (no partial file); discard ignores names that are not ours."""
    name = media.write_image(tmp_path, media.prepare_image(jpeg_with_exif((40, 30))))
    assert media.NAME_RE.match(name) and [p.name for p in (tmp_path / "media").iterdir()] == [name]
    (tmp_path / "media" / "keep.txt").write_text("x")
    media.discard(tmp_path, "keep.txt")
    media.discard(tmp_path, name)
    assert [p.name for p in (tmp_path / "media").iterdir()] == ["keep.txt"]


async def test_stored_avatars_are_cleaned_once(db, tmp_path, reuse_rsa_key_pair) -> None:
    """Avatars stored as uploaded (before cleaning) are re-encoded without their EXIF; unreadable files are dropped."""
    # Given two groups whose avatars were stored raw: a JPEG with EXIF and a file that only starts like a PNG
    (tmp_path / "media").mkdir()
    raw, junk = "a" * 32 + ".jpg", "b" * 32 + ".png"
    (tmp_path / "media" / raw).write_bytes(jpeg_with_exif((1200, 900)))
    (tmp_path / "media" / junk).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    photo = await groups.create_group("photo", "Photo")
    broken = await groups.create_group("broken", "Broken")
    await Group.filter(id=photo.id).update(icon_path=raw)
    await Group.filter(id=broken.id).update(icon_path=junk)
    # When the operator runs the clean-up
    assert await profiles.clean_stored_avatars(tmp_path) == (1, 1)
    # Then the photo has a new, clean file and the old ones are gone
    cleaned = (await Group.get(id=photo.id)).icon_path
    data = (tmp_path / "media" / cleaned).read_bytes()
    assert cleaned != raw and b"SecretCam" not in data and max(Image.open(io.BytesIO(data)).size) == media.AVATAR_SIDE
    assert (await Group.get(id=broken.id)).icon_path is None
    assert sorted(p.name for p in (tmp_path / "media").iterdir()) == [cleaned]
