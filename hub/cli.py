"""The machinery of the ``hub`` command line (INTERFACE.md): a command tree and running one command.

Each layer adds its commands with a ``register(cli)`` function; the composition root above the
layers (causeway.cli) registers them all, so this domain module never assembles the commands of the
layers above it. Exit codes: 0 done, 1 failed (message on stderr), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence

from hub import __version__
from hub.errors import SettingsError
from hub.migrations import migrated_database
from hub.settings import Settings, load_settings

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int] | int]


class CommandLine:
    """A tree of sub-commands; each leaf has a handler and says whether it needs the database."""

    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser(prog="hub", description="Causeway: a federated hub for cause groups.")
        self.parser.add_argument("--version", action="version", version=f"causeway {__version__}")
        self._subparsers = {(): self.parser.add_subparsers(dest="command", metavar="COMMAND", required=True)}
        self._parsers: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def _group(self, path: tuple[str, ...], help_text: str | None = None) -> argparse._SubParsersAction:
        if path in self._subparsers:
            return self._subparsers[path]
        parent = self._group(path[:-1])
        parser = parent.add_parser(path[-1], help=help_text or f"{path[-1]} commands")
        self._parsers[path] = parser
        sub = parser.add_subparsers(dest=f"{'_'.join(path)}_command", metavar="COMMAND", required=True)
        self._subparsers[path] = sub
        return sub

    def top_level(self) -> list[str]:
        """The first words of the commands registered so far, in order."""
        return list(self._subparsers[()].choices)

    def command(self, path: str, help_text: str, handler: Handler, *, needs_db: bool = True) -> argparse.ArgumentParser:
        """Add the command ``path`` (e.g. ``"group follow"``) and return its parser for arguments."""
        parts = tuple(path.split())
        parser = self._group(parts[:-1]).add_parser(parts[-1], help=help_text, description=help_text)
        parser.set_defaults(handler=handler, needs_db=needs_db)
        return parser


async def _run_async(handler: Handler, args: argparse.Namespace, settings: Settings, needs_db: bool) -> int:
    if not needs_db:
        result = handler(args, settings)
        return await result if asyncio.iscoroutine(result) else result
    async with migrated_database(settings.database_url):
        result = handler(args, settings)
        return await result if asyncio.iscoroutine(result) else result


def run(cli: CommandLine, argv: Sequence[str] | None = None) -> int:
    """Parse the command line, validate settings and run the command; returns the exit code."""
    args = cli.parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    try:
        if not args.needs_db and not asyncio.iscoroutinefunction(args.handler):
            return int(args.handler(args, settings) or 0)
        return int(asyncio.run(_run_async(args.handler, args, settings, args.needs_db)) or 0)
    except SettingsError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure becomes one line on stderr and exit 1
        if settings.log_level == "debug":
            raise
        print(f"hub: {exc}", file=sys.stderr)
        return 1
