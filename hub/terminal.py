"""Terminal output and input for CLI commands: JSON documents, aligned tables, passwords."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

from hub.errors import InvalidInput


def print_json(value: Any) -> None:
    """Print one JSON document on stdout (listing commands with --json)."""
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print rows as aligned columns under a header line."""
    cells = [[str(h) for h in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def progress_line(done: int, total: int, *, rate: float = 0.0, dead: int = 0, later: int = 0, width: int = 30) -> str:
    """``[####----]  50%  500/1,000 sent · 500 due · 7 retry later · 3 dead · 120/s · ETA 4s`` (``hub deliveries --watch``)."""
    fraction = done / total if total else 1.0
    filled = round(width * fraction)
    left = total - done
    eta = f"ETA {left / rate:.0f}s" if rate > 0 and left else ("done" if not left else "ETA -")
    return (f"[{'#' * filled}{'-' * (width - filled)}] {fraction:4.0%}  {done:,}/{total:,} sent · {left:,} due · "
            f"{later:,} retry later · {dead:,} dead · {rate:,.0f}/s · {eta}")


def read_password(from_stdin: bool) -> str:
    """A password from stdin (first line) or asked twice on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise InvalidInput("the two passwords differ")
    return first
