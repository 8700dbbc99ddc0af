"""The ``hub`` command: every layer's commands, registered in one place (the console script's entry point).

The domain (hub/), the network (federation/) and the web server (web/) each expose ``register(cli)``
for their commands; this composition root adds them to one command tree, in the order ``hub --help``
lists them, so no layer assembles the commands of a layer above it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from federation import collab_commands, moderation_commands, move_commands, relay_commands, space_commands
from federation import commands as federation_commands
from hub import admin_commands, campaign_commands, decision_commands, gathering_commands, library_commands, organiser_commands
from hub import commands as hub_commands
from hub.cli import CommandLine, run
from web import commands as web_commands

REGISTER: tuple[Callable[[CommandLine], None], ...] = (
    hub_commands.register,
    admin_commands.register,
    campaign_commands.register,
    organiser_commands.register,
    gathering_commands.register,
    decision_commands.register,
    library_commands.register,
    collab_commands.register,
    move_commands.register,
    federation_commands.register,
    moderation_commands.register,
    relay_commands.register,
    space_commands.register,
    web_commands.register,
)
"""Each layer's command registration, in the order the commands are listed."""


def build() -> CommandLine:
    """The full command tree."""
    cli = CommandLine()
    for register in REGISTER:
        register(cli)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub`` console script: build the tree, run the command; returns the exit code."""
    return run(build(), argv)
