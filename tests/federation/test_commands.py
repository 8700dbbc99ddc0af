"""The federation layer's commands: each module registers its part of the ``hub`` tree with its arguments."""

from __future__ import annotations

import pytest

from federation import collab_commands, commands, moderation_commands, relay_commands
from hub.cli import CommandLine


def _tree() -> CommandLine:
    cli = CommandLine()
    for module in (commands, collab_commands, moderation_commands, relay_commands):
        module.register(cli)
    return cli


@pytest.mark.parametrize(("argv", "needs_db"), [
    (["worker", "--concurrency", "8"], False),
    (["group", "follow", "climate", "@tenants@other.test"], True),
    (["invite", "send", "tenants", "@carol@masto.test", "--message", "hi"], True),
    (["domain", "block", "spam.test"], True),
    (["post", "remove", "12", "--group", "climate"], True),
    (["relay", "follow", "https://relay.test/actor"], True),
])
def test_each_command_parses_to_its_handler(argv: list[str], needs_db: bool) -> None:
    """A valid command line of each module finds a handler and says whether it needs the database."""
    args = _tree().parser.parse_args(argv)
    assert callable(args.handler) and args.needs_db is needs_db


def test_a_missing_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """``hub relay follow`` without the relay exits 2 naming what is missing."""
    with pytest.raises(SystemExit) as exc:
        _tree().parser.parse_args(["relay", "follow"])
    assert exc.value.code == 2 and "required" in capsys.readouterr().err
