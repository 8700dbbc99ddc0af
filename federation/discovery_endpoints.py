"""Starlette endpoints of the discovery documents: WebFinger, host-meta and NodeInfo.

The web layer mounts them at the fixed paths of INTERFACE.md::

    /.well-known/webfinger        webfinger
    /.well-known/host-meta        host_meta   (XRD)
    /.well-known/host-meta.json   host_meta   (JSON)
    /.well-known/nodeinfo         nodeinfo_links
    /nodeinfo/{version}           nodeinfo    (2.0 or 2.1)

The Federation runtime is read from ``request.app.state.federation``. These documents are public:
every answer, errors included, carries ``Access-Control-Allow-Origin: *`` (RFC 7033 section 5).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from federation.context import Federation
from federation.nodeinfo import NODEINFO_VERSIONS, nodeinfo_content_type, nodeinfo_document
from federation.nodeinfo import nodeinfo_links as nodeinfo_links_document
from federation.webfinger import JRD_TYPE, host_meta_json, host_meta_xml, webfinger_document

CORS = {"Access-Control-Allow-Origin": "*"}
CACHE_SHORT = {**CORS, "Cache-Control": "public, max-age=300"}
CACHE_LONG = {**CORS, "Cache-Control": "public, max-age=1800"}


def _federation(request: Request) -> Federation:
    return request.app.state.federation


def _error(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=CORS)


async def webfinger(request: Request) -> Response:
    """GET /.well-known/webfinger?resource=…: the JRD of a local group or the instance actor."""
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return _error(400, "the resource parameter is missing: ask for ?resource=acct:group@host or an actor URL")
    document = await webfinger_document(_federation(request), resource)
    if document is None:
        return _error(404, f"no group or actor {resource!r} on this hub")
    rels = request.query_params.getlist("rel")
    if rels:
        document = {**document, "links": [link for link in document["links"] if link["rel"] in rels]}
    return JSONResponse(document, media_type=JRD_TYPE, headers=CACHE_SHORT)


async def host_meta(request: Request) -> Response:
    """GET /.well-known/host-meta (XRD) or /.well-known/host-meta.json: where WebFinger is."""
    fed = _federation(request)
    if request.url.path.endswith(".json"):
        return JSONResponse(host_meta_json(fed), headers=CACHE_LONG)
    return Response(host_meta_xml(fed), media_type="application/xrd+xml", headers=CACHE_LONG)


async def nodeinfo_links(request: Request) -> Response:
    """GET /.well-known/nodeinfo: links to the NodeInfo documents and the instance actor."""
    return JSONResponse(nodeinfo_links_document(_federation(request)), headers=CACHE_LONG)


async def nodeinfo(request: Request) -> Response:
    """GET /nodeinfo/{version}: the NodeInfo 2.0 or 2.1 document; 404 for any other version."""
    version = request.path_params.get("version", "")
    if version not in NODEINFO_VERSIONS:
        return _error(404, f"NodeInfo {version!r} is not served here; use {' or '.join(NODEINFO_VERSIONS)}")
    document = await nodeinfo_document(_federation(request), version)
    return JSONResponse(document, media_type=nodeinfo_content_type(version), headers=CACHE_LONG)
