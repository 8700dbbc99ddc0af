"""Command-line driver for a running bovine test peer (server.py); prints JSON.

Standard library only, so any Python 3.11 runs it (the bovine venv's or Causeway's):

    driver.py --data-dir DIR register alice
    driver.py --data-dir DIR follow alice http://127.0.0.1:8000/groups/climate
    driver.py --data-dir DIR inbox alice
    driver.py --data-dir DIR note alice "hello" --to http://... --audience http://...
    driver.py --data-dir DIR send alice '{"type": "Undo", "object": "http://..."}'
    driver.py --data-dir DIR fetch alice http://127.0.0.1:8000/groups/climate
    driver.py --data-dir DIR following alice | followers alice | actor alice
    driver.py --data-dir DIR deliveries | missing-contexts | health

--data-dir is the directory given to server.py (its port file is read); --url
http://127.0.0.1:PORT works instead. Exit status 1 when the control API answers an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path


def call(base_url: str, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base_url}/_control{path}", data=data, method=method,
        headers={"content-type": "application/json"} if data is not None else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"error": text}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drive a bovine test peer.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="server.py's --data-dir")
    where.add_argument("--url", help="http://127.0.0.1:PORT")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("health")
    commands.add_parser("deliveries")
    commands.add_parser("missing-contexts")
    for name in ("register", "actor", "inbox", "outbox", "following", "followers"):
        commands.add_parser(name).add_argument("name")
    follow = commands.add_parser("follow")
    follow.add_argument("name")
    follow.add_argument("target", help="actor URL to follow")
    note = commands.add_parser("note")
    note.add_argument("name")
    note.add_argument("content")
    note.add_argument("--to", action="append")
    note.add_argument("--cc", action="append")
    note.add_argument("--audience")
    note.add_argument("--in-reply-to")
    send = commands.add_parser("send", help="any activity (JSON) through the outbox")
    send.add_argument("name")
    send.add_argument("activity")
    fetch = commands.add_parser("fetch", help="signed GET as the actor")
    fetch.add_argument("name")
    fetch.add_argument("url")

    args = parser.parse_args(argv)
    if args.url:
        base_url = args.url.rstrip("/")
    else:
        base_url = f"http://127.0.0.1:{int((args.data_dir / 'port').read_text())}"

    command = args.command
    if command == "health":
        status, result = call(base_url, "GET", "/health")
    elif command == "deliveries":
        status, result = call(base_url, "GET", "/deliveries")
    elif command == "missing-contexts":
        status, result = call(base_url, "GET", "/missing_contexts")
    elif command == "register":
        status, result = call(base_url, "POST", "/actors", {"name": args.name})
    elif command == "actor":
        status, result = call(base_url, "GET", f"/actors/{args.name}")
    elif command in ("inbox", "outbox", "following", "followers"):
        status, result = call(base_url, "GET", f"/actors/{args.name}/{command}")
    elif command == "follow":
        status, result = call(base_url, "POST", f"/actors/{args.name}/follow",
                              {"object": args.target})
    elif command == "note":
        fields: dict = {"content": args.content}
        if args.to:
            fields["to"] = args.to
        if args.cc:
            fields["cc"] = args.cc
        if args.audience:
            fields["audience"] = args.audience
        if args.in_reply_to:
            fields["inReplyTo"] = args.in_reply_to
        status, result = call(base_url, "POST", f"/actors/{args.name}/note", fields)
    elif command == "send":
        status, result = call(base_url, "POST", f"/actors/{args.name}/outbox",
                              json.loads(args.activity))
    elif command == "fetch":
        status, result = call(base_url, "POST", f"/actors/{args.name}/fetch", {"url": args.url})
    else:  # pragma: no cover - argparse rejects unknown commands
        parser.error(command)

    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
