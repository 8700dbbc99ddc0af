"""The baselines' servers: bare Starlette apps under uvicorn, doing only the essential work.

    python -m bench.bare --port P inbox --key-file PEM   POST /inbox: verify the HTTP signature, 202
    python -m bench.bare --port P json                   GET /groups/{slug}: a small fixed JSON document

Same server stack as ``hub serve`` (uvicorn with uvloop and httptools, one process, no access log),
so a benchmark's ratio measures what the hub adds on top: settings, middleware, database, templates.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.errors import FederationError
from federation.signatures import inspect_request, verify_claim


def inbox_app(public_pem: str, host: str) -> Starlette:
    """POST /inbox verifies the signature against the one known key and answers 202 (401 otherwise)."""

    async def inbox(request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        try:
            claim = inspect_request("POST", f"http://{host}{path}", path, request.headers, body, expected_host=host)
            verify_claim(claim, public_pem)
        except FederationError as exc:
            return JSONResponse({"error": exc.reason}, status_code=401)
        return Response(status_code=202)

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])


def json_app() -> Starlette:
    """GET /groups/{slug} answers a fixed JSON document of about the size of a group's summary."""
    document = {"type": "Group", "name": "Bench", "summary": "A group for benchmarks. " * 20,
                "posts": [{"id": n, "content": "Solidarity. " * 10} for n in range(20)]}

    async def group(request: Request) -> Response:
        return JSONResponse({**document, "slug": request.path_params["slug"]})

    return Starlette(routes=[Route("/groups/{slug}", group)])


def main() -> None:
    """Serve one of the baseline apps on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    sub = parser.add_subparsers(dest="app", required=True)
    p = sub.add_parser("inbox")
    p.add_argument("--key-file", required=True)
    sub.add_parser("json")
    args = parser.parse_args()
    host = f"127.0.0.1:{args.port}"
    app = inbox_app(open(args.key_file).read(), host) if args.app == "inbox" else json_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, server_header=False,
                lifespan="off")


if __name__ == "__main__":
    main()
