"""Which HTTP client the hub delivers with: signed 1.5 KB POSTs to many loopback instances at concurrency 50.

    python -m bench.transport [--smoke] [--hosts 200] [--posts 4000] [--rounds 3]

Clients compared, each signing every POST afresh (draft-cavage, RSA-2048):

- ``httpx``: one shared ``httpx.AsyncClient`` (httpcore's pool);
- ``httpx-per-host``: one ``httpx.AsyncClient`` per instance;
- ``hub-httpx``: the hub's client (``federation.net.build_client``: httpx over
  ``httpx_aiohttp.AiohttpTransport`` with the SSRF guard) through ``federation.net.request`` and
  ``SigningAuth``, as the hub fetches (and as it delivered before ``client.direct``);
- ``aiohttp-guarded``: aiohttp with the hub's guards (resolver, literal-host check, deadline, byte cap)
  and no httpx: what a delivery path bypassing httpx would cost;
- ``hub``: the hub's delivery path, ``client.direct`` of the same client (its aiohttp session
  without httpx), exactly as ``federation.delivery.post`` sends;
- ``aiohttp``: a bare ``aiohttp.ClientSession`` signing with ``sign_cavage`` (the ceiling).

Prints deliveries per second (median of the rounds, variants interleaved) and the hub's delivery
path's ratio to bare aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx

from bench.common import SinkFleet, header, loop_factory, ratio_line, write_key
from federation.net import AddressPolicy, GuardedResolver, build_client, close_client, request
from federation.signatures import SigningAuth, generate_rsa_keypair, sign_cavage

KEY_ID = "http://127.0.0.1:1/groups/bench#main-key"
CONCURRENCY = 50
CONTENT_TYPE = "application/activity+json"


def payload(size: int = 1536) -> bytes:
    """An Announce-shaped JSON body of about ``size`` bytes."""
    doc = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
           "id": "http://127.0.0.1:1/groups/bench/announces/1", "actor": "http://127.0.0.1:1/groups/bench",
           "object": "http://127.0.0.1:2/notes/1", "to": ["https://www.w3.org/ns/activitystreams#Public"], "pad": ""}
    doc["pad"] = "x" * max(0, size - len(json.dumps(doc)))
    return json.dumps(doc).encode()


Send = Callable[[str], Awaitable[int]]


async def drive(urls: list[str], send: Send, concurrency: int = CONCURRENCY) -> tuple[float, int]:
    """POST to every URL with ``concurrency`` workers; (seconds, 2xx count)."""
    queue = iter(urls)
    ok = 0

    async def worker() -> None:
        nonlocal ok
        for url in queue:
            status = await send(url)
            ok += 200 <= status < 300

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, ok


async def run_httpx(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    auth = SigningAuth(KEY_ID, pem)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        async def send(url: str) -> int:
            response = await client.post(url, content=body, headers={"Content-Type": CONTENT_TYPE}, auth=auth)
            return response.status_code
        return await drive(urls, send)


async def run_httpx_per_host(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    auth = SigningAuth(KEY_ID, pem)
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        async def send(url: str) -> int:
            host = url.split("/")[2]
            client = clients.get(host)
            if client is None:
                client = clients[host] = httpx.AsyncClient(timeout=10, trust_env=False)
            response = await client.post(url, content=body, headers={"Content-Type": CONTENT_TYPE}, auth=auth)
            return response.status_code
        return await drive(urls, send)
    finally:
        for client in clients.values():
            await client.aclose()


async def run_hub_httpx(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    """The hub's client through httpx (``federation.net.request`` with ``SigningAuth``): the fetch path."""
    client = build_client(AddressPolicy(("127.0.0.0/8",)), user_agent="Causeway-bench")
    auth = SigningAuth(KEY_ID, pem)
    try:
        async def send(url: str) -> int:
            response = await request(client, "POST", url, headers={"Content-Type": CONTENT_TYPE}, content=body,
                                     auth=auth, deadline=10.0)
            return response.status
        return await drive(urls, send)
    finally:
        await close_client(client)


async def run_hub(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    """The hub's delivery path: ``client.direct`` (its aiohttp session, no httpx), signed as delivery.post does."""
    client = build_client(AddressPolicy(("127.0.0.0/8",)), user_agent="Causeway-bench")
    try:
        async def send(url: str) -> int:
            headers = sign_cavage("POST", url, {"Content-Type": CONTENT_TYPE}, body, KEY_ID, pem)
            response = await client.direct.post(url, headers=headers, body=body, deadline=10.0)
            return response.status
        return await drive(urls, send)
    finally:
        await close_client(client)


async def run_aiohttp(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def send(url: str) -> int:
            headers = sign_cavage("POST", url, {"Content-Type": CONTENT_TYPE}, body, KEY_ID, pem)
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status
        return await drive(urls, send)


async def run_aiohttp_guarded(urls: list[str], body: bytes, pem: str) -> tuple[float, int]:
    """aiohttp with the hub's guards (resolver, literal-host check, deadline, byte cap) but without httpx."""
    policy = AddressPolicy(("127.0.0.0/8",))
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy), limit=200, limit_per_host=8, keepalive_timeout=30.0,
                                     ssl=httpx.create_ssl_context(), ttl_dns_cache=10)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False) as session:
        async def send(url: str) -> int:
            policy.check_host_literal(url.split("/")[2].rsplit(":", 1)[0])
            headers = sign_cavage("POST", url, {"Content-Type": CONTENT_TYPE}, body, KEY_ID, pem)
            async with asyncio.timeout(10.0):
                async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                    await response.content.read(1_048_576)
                    return response.status
        return await drive(urls, send)


VARIANTS = {"httpx": run_httpx, "httpx-per-host": run_httpx_per_host, "hub-httpx": run_hub_httpx,
            "aiohttp-guarded": run_aiohttp_guarded, "hub": run_hub, "aiohttp": run_aiohttp}


async def measure(args: argparse.Namespace, fleet: SinkFleet, pem: str) -> dict[str, list[float]]:
    ports = [port for port, _ in fleet.instances]
    urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/inbox" for i in range(args.posts)]
    body = payload()
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_ in range(args.rounds):
        for name, variant in VARIANTS.items():
            seconds, ok = await variant(urls, body, pem)
            if ok != len(urls):
                raise SystemExit(f"{name}: only {ok} of {len(urls)} POSTs were accepted")
            rates[name].append(len(urls) / seconds)
            print(f"round {round_ + 1} {name:15s} {len(urls) / seconds:7.0f} POSTs/s", flush=True)
    return rates


def main() -> int:
    """Run the transport comparison and print the ratio of the hub's client to bare aiohttp."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20 instances, 300 POSTs, one round")
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.smoke:
        args.hosts, args.posts, args.rounds = 20, 300, 1
    header("transport: signed 1.5 KB POSTs, concurrency 50", hosts=args.hosts, posts=args.posts, rounds=args.rounds)
    private_pem, public_pem = generate_rsa_keypair()
    expected = args.posts * args.rounds * len(VARIANTS)
    fleet = SinkFleet.start(args.hosts, key_file=write_key(public_pem), processes=2 if args.smoke else 4,
                            max_seconds=300, max_requests=expected)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            rates = runner.run(measure(args, fleet, private_pem))
        stats = fleet.stats()
    finally:
        fleet.stop()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"median {name:15s} {value:7.0f} POSTs/s  ({value / medians['aiohttp']:.2f}x bare aiohttp)")
    print(f"sinks: {stats['received']} received, {stats['valid']} valid signatures, invalid: {stats['invalid'] or 'none'}")
    ratio_line("transport-hub-vs-aiohttp", medians["hub"] / medians["aiohttp"], ">=0.6",
               hub=f"{medians['hub']:.0f}/s", baseline=f"{medians['aiohttp']:.0f}/s",
               httpx=f"{medians['httpx']:.0f}/s", per_host=f"{medians['httpx-per-host']:.0f}/s",
               hub_httpx=f"{medians['hub-httpx']:.0f}/s", aiohttp_guarded=f"{medians['aiohttp-guarded']:.0f}/s")
    return 0 if stats["valid"] == stats["received"] == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
