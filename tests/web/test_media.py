"""Avatar uploads: size cap, type from the bytes, generated names, served as images only."""

from __future__ import annotations

import re

import pytest

from hub.models import Group
from hub.services.media import image_kind as image_type
from web.media import MAX_BYTES

pytestmark = pytest.mark.db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.mark.parametrize(("data", "ext"), [(PNG, "png"), (JPEG, "jpg"), (GIF, "gif"), (WEBP, "webp"),
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


async def test_upload_and_serve(web) -> None:
    """A PNG is stored under a generated name and served as image/png with nosniff, even to AP clients."""
    await owner_of_climate(web)
    response = await upload(web, "../../evil.json", PNG, "application/json")
    assert response.status_code == 303
    group = await Group.get(slug="climate")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", group.icon_path)
    stored = web.settings.data_dir / "media" / group.icon_path
    assert stored.read_bytes() == PNG
    served = await web.client.get(f"/media/{group.icon_path}", headers={"Accept": "application/activity+json"})
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    actor = (await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})).json()
    assert actor["icon"]["url"] == f"http://127.0.0.1:8123/media/{group.icon_path}"
    page = await web.client.get("/groups/climate")
    assert f"/media/{group.icon_path}" in page.text


async def test_replacing_deletes_the_old_file(web) -> None:
    """A new avatar replaces the old file."""
    await owner_of_climate(web)
    await upload(web, "a.png", PNG)
    first = (await Group.get(slug="climate")).icon_path
    await upload(web, "b.gif", GIF, "image/gif")
    second = (await Group.get(slug="climate")).icon_path
    assert second.endswith(".gif") and second != first
    assert not (web.settings.data_dir / "media" / first).exists()


@pytest.mark.parametrize(("data", "message"), [
    (b"<html><script>alert(1)</script></html>", "Only PNG, JPEG, GIF and WebP"),
    (b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Group"}', "Only PNG, JPEG, GIF and WebP"),
    (b"", "The file is empty"),
])
async def test_rejected_types(web, data: bytes, message: str) -> None:
    """Anything that is not an accepted image is refused, whatever its name and declared type."""
    await owner_of_climate(web)
    response = await upload(web, "avatar.png", data, "image/png")
    assert response.status_code == 400 and message in response.text
    assert (await Group.get(slug="climate")).icon_path is None
    media = web.settings.data_dir / "media"
    assert not media.exists() or list(media.iterdir()) == []


async def test_size_cap(web) -> None:
    """An image over 1 MiB is refused."""
    await owner_of_climate(web)
    response = await upload(web, "big.png", PNG + b"\x00" * MAX_BYTES)
    assert response.status_code == 400 and "larger than 1 MiB" in response.text
    assert (await Group.get(slug="climate")).icon_path is None
    exactly = await upload(web, "ok.png", PNG + b"\x00" * (MAX_BYTES - len(PNG)))
    assert exactly.status_code == 303


async def test_media_names_are_strict(web) -> None:
    """Only generated names are served; nothing else under the data directory can be reached."""
    (web.settings.data_dir / "media").mkdir(parents=True, exist_ok=True)
    (web.settings.data_dir / "media" / "notes.json").write_text("{}")
    for path in ("/media/notes.json", "/media/..%2Fsecret.key", "/media/" + "a" * 32 + ".png", "/media/" + "A" * 32 + ".png"):
        assert (await web.client.get(path)).status_code == 404, path
