"""The ``hub`` command: every layer's commands, registered in one place (the console script's entry point).

The domain (hub/), the network (federation/) and the web server (web/) each expose ``register(cli)``
for their commands; this composition root adds them to one command tree, in the order ``hub --help``
lists them, so no layer assembles the commands of a layer above it.

The domain's commands are always registered. The federation's and the web server's modules (:data:`LAZY`)
are imported only when the command line names one of their commands, or asks for help: importing
them (ActivityPub features, JSON-LD, the web app) is most of a command's start-up, and ``hub group
create`` or ``hub event list`` needs none of it. :data:`LAZY` names each module's command paths;
tests/causeway/test_cli.py checks it against what each module registers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from hub import admin_commands, campaign_commands, decision_commands, gathering_commands, library_commands, organiser_commands
from hub import commands as hub_commands
from hub.cli import CommandLine, run

EAGER: tuple[Callable[[CommandLine], None], ...] = (
    hub_commands.register,
    admin_commands.register,
    campaign_commands.register,
    organiser_commands.register,
    gathering_commands.register,
    decision_commands.register,
    library_commands.register,
)
"""The domain's command registrations, in the order the commands are listed."""

LAZY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("federation.collab_commands", ("group follow", "group unfollow", "invite")),
    ("federation.move_commands", ("group export", "group import", "group move")),
    ("federation.commands", ("worker",)),
    ("federation.moderation_commands", ("domain", "member role", "member unban", "moderation", "post", "report")),
    ("federation.relay_commands", ("relay",)),
    ("federation.space_commands", ("collaboration", "group relay")),
    ("web.commands", ("serve",)),
)
"""The federation's and the web server's command modules, listed after the domain's, each with the command
paths (or path prefixes) it registers."""


def command_words(argv: Sequence[str]) -> list[str]:
    """The words of ``argv`` before its first option: the command's path and perhaps some of its arguments."""
    words: list[str] = []
    for arg in argv:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _names(prefix: str, words: list[str]) -> bool:
    """Whether ``words`` name a command under ``prefix``, or a group that holds it (``group`` for ``group follow``)."""
    parts = prefix.split()
    return parts[:len(words)] == words[:len(parts)]


def build(argv: Sequence[str] | None = None) -> CommandLine:
    """The command tree for ``argv``: every command (``argv`` None, help, or a first word no command has), or the
    domain's and those of the lazy modules ``argv`` names."""
    cli = CommandLine()
    for register in EAGER:
        register(cli)
    words = command_words(argv) if argv is not None else []
    known = set(cli.top_level()) | {prefix.split()[0] for _, prefixes in LAZY for prefix in prefixes}
    everything = not words or words[0] not in known
    for module, prefixes in LAZY:
        if everything or any(_names(prefix, words) for prefix in prefixes):
            importlib.import_module(module).register(cli)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub`` console script: build the tree, run the command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(build(argv), argv)
