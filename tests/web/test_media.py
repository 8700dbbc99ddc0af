"""Uploads through the real web paths: metadata never served, size and pixel caps, type from the bytes, strict names."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from hub.models import CallToAction, Group
from hub.services.media import AVATAR_MAX_BYTES, AVATAR_SIDE, image_kind as image_type

pytestmark = pytest.mark.db

FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
SECRET_PLACE = "Safehouse, 12 Hidden Lane"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description photoshop:City="Secretville"/></rdf:RDF></x:xmpmeta>')


def gps_exif() -> Image.Exif:
    """EXIF with a camera serial and a GPS block pointing at a precise position."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0xA431] = "SERIAL-0042-XYZ"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.345)
    gps[3], gps[4] = "E", (13.0, 24.0, 56.789)
    gps[0x1B] = b"ASCII\x00\x00\x00" + SECRET_PLACE.encode()
    return exif


def photo(size=(640, 480)) -> Image.Image:
    """A picture with some structure (not a flat colour), so the encoder has real pixels to keep."""
    image = Image.new("RGB", size, "teal")
    for x in range(0, size[0], 16):
        image.paste((x % 256, 80, 160), (x, 0, x + 8, size[1]))
    return image


def jpeg_with_gps(size=(640, 480)) -> tuple[bytes, bytes]:
    """A JPEG carrying EXIF with GPS, an ICC profile, XMP and a comment; returns (file, the EXIF block)."""
    block = gps_exif().tobytes()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    photo(size).save(out, "JPEG", exif=block, icc_profile=icc, comment=b"private comment", xmp=XMP)
    return out.getvalue(), block


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_text_chunks() -> tuple[bytes, bytes]:
    """A PNG with tEXt, zTXt, iTXt and eXIf (GPS) chunks; returns (file, the EXIF block)."""
    info = PngInfo()
    info.add_text("Author", "Jane Secret")
    info.add_text("Location", SECRET_PLACE, zip=True)
    info.add_itxt("Description", "Meeting point of the affinity group", lang="en")
    block = gps_exif().tobytes()
    out = io.BytesIO()
    photo((300, 200)).save(out, "PNG", pnginfo=info, exif=block)
    return out.getvalue(), block


def png_chunk_types(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    types, offset = [], 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        types.append(data[offset + 4:offset + 8])
        offset += 12 + length
    return types


def jpeg_segment_markers(data: bytes) -> list[int]:
    """The JPEG markers before the image data (APPn, COM, DQT…)."""
    markers, offset = [], 2
    while offset < len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        offset += 2 + struct.unpack(">H", data[offset + 2:offset + 4])[0]
    return markers


def assert_no_window_of(block: bytes, served: bytes, width: int = 12) -> None:
    """No ``width``-byte window of ``block`` (other than runs of one or two byte values) occurs in ``served``."""
    for start in range(len(block) - width + 1):
        window = block[start:start + width]
        if len(set(window)) > 2:
            assert window not in served, f"bytes {start}..{start + width} of the metadata block were served"


@pytest.mark.parametrize(("data", "ext"), [(FAKE_PNG, "png"), (JPEG, "jpg"), (GIF, "gif"), (WEBP, "webp"),
                                           (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None), (b'{"type":"Group"}', None),
                                           (b"RIFF\x00\x00\x00\x00WAVE", None), (b"", None)])
def test_image_type_from_magic_bytes(data: bytes, ext: str | None) -> None:
    """Only PNG, JPEG, GIF and WebP are recognised, from their first bytes."""
    assert image_type(data) == ext


async def owner_of_climate(web):
    olivia = await web.person("olivia")
    await web.group_with("climate", role_of={olivia: "owner"})
    await web.sign_in(olivia)
    return olivia


async def upload(web, name: str, data: bytes, content_type: str = "image/png"):
    return await web.post_form("/console/groups/climate/avatar", files={"avatar": (name, data, content_type)}, token_from="/console")


async def served_avatar(web) -> bytes:
    group = await Group.get(slug="climate")
    response = await web.client.get(f"/media/{group.icon_path}")
    assert response.status_code == 200
    return response.content


async def test_avatar_jpeg_with_gps_is_served_without_any_metadata(web) -> None:
    """A phone photo as avatar: no byte of its EXIF/GPS block, ICC profile, XMP or comment is served; it is shrunk."""
    # Given a JPEG carrying GPS EXIF, an ICC profile, XMP and a comment
    await owner_of_climate(web)
    data, block = jpeg_with_gps((2000, 1500))
    assert b"SecretCam" in data and SECRET_PLACE.encode() in data
    # When an organiser uploads it as the group's avatar
    assert (await upload(web, "holiday.jpg", data, "image/jpeg")).status_code == 303
    # Then the served file is a clean JPEG: only the markers of the pixels, none of the metadata
    served = await served_avatar(web)
    assert_no_window_of(block, served)
    for secret in (b"Exif\x00\x00", b"SecretCam", b"SERIAL-0042", SECRET_PLACE.encode(), b"private comment",
                   b"xmpmeta", b"Secretville", b"ICC_PROFILE", b"acsp"):
        assert secret not in served, secret
    assert not {0xE1, 0xE2, 0xED, 0xFE} & set(jpeg_segment_markers(served))  # APP1 EXIF/XMP, APP2 ICC, APP13, COM
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG" and not image.getexif() and "icc_profile" not in image.info
    assert max(image.size) == AVATAR_SIDE


async def test_avatar_png_text_and_exif_chunks_are_dropped(web) -> None:
    """A PNG with tEXt, zTXt, iTXt and eXIf chunks is served with pixel chunks only."""
    await owner_of_climate(web)
    data, block = png_with_text_chunks()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(data))
    assert (await upload(web, "map.png", data)).status_code == 303
    served = await served_avatar(web)
    assert set(png_chunk_types(served)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert_no_window_of(block, served)
    assert b"Jane Secret" not in served and b"affinity group" not in served


async def test_call_image_is_served_without_metadata(web) -> None:
    """The same JPEG attached to a call (campaign console path) is served clean at its media URL."""
    await owner_of_climate(web)
    data, block = jpeg_with_gps()
    base = "/console/groups/climate/campaigns"
    response = await web.post_form(f"{base}/calls", {"what": "Water station", "needed": "4", "alt": "A water station"},
                                   files={"image": ("p.jpg", data, "image/jpeg")}, token_from=base)
    assert response.status_code == 303
    call = await CallToAction.get(what="Water station").prefetch_related("image")
    served = (await web.client.get(f"/media/{call.image.name}")).content
    assert_no_window_of(block, served)
    assert b"SecretCam" not in served and SECRET_PLACE.encode() not in served and not Image.open(io.BytesIO(served)).getexif()


async def test_upload_and_serve(web) -> None:
    """An image is stored under a generated name and served as image/png with nosniff, even to AP clients."""
    await owner_of_climate(web)
    data, _ = png_with_text_chunks()
    response = await upload(web, "../../evil.json", data, "application/json")
    assert response.status_code == 303
    group = await Group.get(slug="climate")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", group.icon_path)
    stored = web.settings.data_dir / "media" / group.icon_path
    served = await web.client.get(f"/media/{group.icon_path}", headers={"Accept": "application/activity+json"})
    assert served.status_code == 200 and served.content == stored.read_bytes()
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert [p.name for p in stored.parent.iterdir()] == [group.icon_path]  # no partial file left behind
    actor = (await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})).json()
    assert actor["icon"]["url"] == f"http://127.0.0.1:8123/media/{group.icon_path}"
    page = await web.client.get("/groups/climate")
    assert f"/media/{group.icon_path}" in page.text


async def test_replacing_deletes_the_old_file(web) -> None:
    """A new avatar replaces the old file; a GIF becomes a PNG (its first frame)."""
    await owner_of_climate(web)
    await upload(web, "a.png", png_with_text_chunks()[0])
    first = (await Group.get(slug="climate")).icon_path
    gif = io.BytesIO()
    photo((40, 40)).convert("P").save(gif, "GIF")
    await upload(web, "b.gif", gif.getvalue(), "image/gif")
    second = (await Group.get(slug="climate")).icon_path
    assert second.endswith(".png") and second != first
    assert not (web.settings.data_dir / "media" / first).exists()


@pytest.mark.parametrize(("data", "message"), [
    (b"<html><script>alert(1)</script></html>", "Only PNG, JPEG, GIF and WebP"),
    (b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Group"}', "Only PNG, JPEG, GIF and WebP"),
    (b"", "The file is empty"),
    (FAKE_PNG, "could not be read"),
    (PNG + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0))
     + png_chunk(b"IDAT", zlib.compress(b"\x00" * 8001 * 64)) + png_chunk(b"IEND", b""), "more than 40,000,000 pixels"),
])
async def test_rejected_uploads(web, data: bytes, message: str) -> None:
    """Not an image (whatever its name and declared type), broken, or a decompression bomb: refused, nothing stored."""
    await owner_of_climate(web)
    response = await upload(web, "avatar.png", data, "image/png")
    assert response.status_code == 400 and message in response.text
    assert (await Group.get(slug="climate")).icon_path is None
    media = web.settings.data_dir / "media"
    assert not media.exists() or list(media.iterdir()) == []


async def test_size_cap(web) -> None:
    """An avatar over 1 MiB is refused; one of exactly 1 MiB is taken."""
    await owner_of_climate(web)
    image = png_with_text_chunks()[0]
    response = await upload(web, "big.png", image + b"\x00" * AVATAR_MAX_BYTES)
    assert response.status_code == 400 and "larger than 1 MiB" in response.text
    assert (await Group.get(slug="climate")).icon_path is None
    exactly = await upload(web, "ok.png", image + b"\x00" * (AVATAR_MAX_BYTES - len(image)))
    assert exactly.status_code == 303


async def test_media_names_are_strict(web) -> None:
    """Only generated names are served; nothing else under the data directory can be reached."""
    (web.settings.data_dir / "media").mkdir(parents=True, exist_ok=True)
    (web.settings.data_dir / "media" / "notes.json").write_text("{}")
    for path in ("/media/notes.json", "/media/..%2Fsecret.key", "/media/" + "a" * 32 + ".png", "/media/" + "A" * 32 + ".png"):
        assert (await web.client.get(path)).status_code == 404, path
