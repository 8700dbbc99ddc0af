"""Serving uploaded images: ``/media/<name>`` with the image content type, ``nosniff`` and a sandboxing CSP.

Uploads are checked, stripped of metadata and written by :mod:`hub.services.media`; only the names
it generates (``<32 hex>.<ext>``) are served, whatever the request's Accept header says — so a
stored file can never be read as ActivityPub JSON or as a page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from hub.services.media import MEDIA_TYPES, NAME_RE, media_dir


async def serve(request: Request) -> Response:
    """GET /media/{name}: the stored image with its own content type, or 404."""
    name = request.path_params["name"]
    match = NAME_RE.match(name)
    path = media_dir(request.app.state.settings.data_dir) / name
    if match is None or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[match.group(1)],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Disposition": "inline",
        },
    )
