"""federation.move_commands: ``hub group export|import|move`` parse as the README writes them (the CLI runs end to end in
tests/hub/test_group_archive.py and tests/integration/test_moving.py)."""

from __future__ import annotations

from federation import move_commands
from hub.cli import CommandLine


def test_the_three_commands_take_the_arguments_the_readme_gives() -> None:
    """export SLUG PATH, import PATH [--slug], move SLUG NEW_ACTOR_URI."""
    cli = CommandLine()
    move_commands.register(cli)
    export = cli.parser.parse_args(["group", "export", "aid", "aid.tar.gz"])
    assert (export.slug, export.path, export.handler) == ("aid", "aid.tar.gz", move_commands._export)
    imported = cli.parser.parse_args(["group", "import", "aid.tar.gz", "--slug", "aid2"])
    assert (imported.path, imported.slug, imported.handler) == ("aid.tar.gz", "aid2", move_commands._import)
    move = cli.parser.parse_args(["group", "move", "aid", "https://new.example/groups/aid"])
    assert (move.slug, move.target, move.handler) == ("aid", "https://new.example/groups/aid", move_commands._move)
