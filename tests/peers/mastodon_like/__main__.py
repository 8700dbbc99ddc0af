"""Run the peer: python -m tests.peers.mastodon_like --port P [--host 127.0.0.1] [flags]."""

from __future__ import annotations

import argparse

import uvicorn

from tests.peers.mastodon_like.app import create_app
from tests.peers.mastodon_like.state import Config


def parse_args(argv: list[str] | None = None) -> Config:
    """Command line -> Config."""
    p = argparse.ArgumentParser(prog="python -m tests.peers.mastodon_like", description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--software", default="mastodon", help="NodeInfo software name (e.g. lemmy)")
    p.add_argument("--software-version", default="4.3.0")
    p.add_argument("--authorized-fetch", action="store_true", help="serve notes only to signed GETs")
    p.add_argument("--accept-rfc9421", action="store_true", help="verify RFC 9421 instead of answering 401")
    p.add_argument("--rfc9421-only", action="store_true", help="verify RFC 9421 and answer 401 to draft-cavage")
    p.add_argument("--integrity-proofs", action="store_true", help="publish Ed25519 Multikeys and sign notes (FEP-8b32)")
    p.add_argument("--no-auto-accept", action="store_true", help="leave received Follows pending")
    a = p.parse_args(argv)
    return Config(host=a.host, port=a.port, software=a.software, software_version=a.software_version,
                  authorized_fetch=a.authorized_fetch, accept_rfc9421=a.accept_rfc9421 or a.rfc9421_only,
                  rfc9421_only=a.rfc9421_only, integrity_proofs=a.integrity_proofs,
                  auto_accept=not a.no_auto_accept)


def main(argv: list[str] | None = None) -> None:
    """Serve the peer with uvicorn in-process until SIGTERM."""
    config = parse_args(argv)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info", lifespan="on")


if __name__ == "__main__":
    main()
