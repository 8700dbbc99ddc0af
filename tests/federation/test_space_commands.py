"""The shared-space CLI: its commands parse, a bad end date or a missing switch is a usage error (exit 2)."""

from __future__ import annotations

import pytest

from federation import space_commands
from hub.cli import CommandLine


def _tree() -> CommandLine:
    cli = CommandLine()
    space_commands.register(cli)
    return cli


@pytest.mark.parametrize("argv", [
    ["collaboration", "list", "--json"],
    ["collaboration", "show", "alliance", "--json"],
    ["collaboration", "start", "lisbon", "Alliance", "--hashtag", "rent", "--ends", "2027-05-01"],
    ["collaboration", "leave", "berlin", "https://a.test/groups/space"],
    ["collaboration", "moderator", "berlin", "https://a.test/groups/space", "@mod@b.test"],
    ["collaboration", "remove", "berlin", "https://a.test/groups/space", "https://c.test/notes/1", "--by", "@mod@b.test"],
    ["collaboration", "ban", "berlin", "https://a.test/groups/space", "@spam@c.test", "--by", "@mod@b.test"],
    ["group", "relay", "lisbon", "@berlin@b.test", "on", "--hashtag", "rent"],
])
def test_each_command_parses(argv: list[str]) -> None:
    """Each command line finds its handler, which needs the database."""
    args = _tree().parser.parse_args(argv)
    assert callable(args.handler) and args.needs_db


@pytest.mark.parametrize(("argv", "says"), [
    (["collaboration", "start", "lisbon", "Alliance", "--ends", "soon"], "is not a date"),
    (["group", "relay", "lisbon", "@berlin@b.test"], "required"),
    (["collaboration", "remove", "berlin", "https://a.test/groups/space", "https://c.test/notes/1"], "--by"),
])
def test_usage_errors_exit_2(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad date, a missing on/off or a removal without its moderator exit 2 with a message."""
    with pytest.raises(SystemExit) as exc:
        _tree().parser.parse_args(argv)
    assert exc.value.code == 2 and says in capsys.readouterr().err


def test_end_date_is_utc_when_no_zone_is_given() -> None:
    """``--ends 2027-05-01`` is midnight UTC."""
    assert space_commands.end_date("2027-05-01").isoformat() == "2027-05-01T00:00:00+00:00"
