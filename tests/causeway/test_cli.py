"""The composed ``hub`` command line: every layer's commands in one tree, run by the script and ``python -m hub``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from causeway import cli

REPO = Path(__file__).resolve().parents[2]
HUB = Path(sys.executable).with_name("hub")


def test_the_tree_has_every_layers_commands_in_order() -> None:
    """Domain (migrate, campaign, announcement), federation (worker, relay, invite) and web (serve) commands are all registered."""
    tree = cli.build()
    names = list(tree._subparsers[()].choices)
    assert {"migrate", "group", "member", "campaign", "call", "decision", "library", "event", "announcement", "organiser", "invite", "worker", "relay",
            "moderation", "serve"} <= set(names)
    assert names[0] == "migrate" and names[-1] == "serve"
    assert len(set(cli.REGISTER)) == len(cli.REGISTER), "a layer's commands are registered twice"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command is a usage error (exit 2) naming the commands there are."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[str(HUB)], [sys.executable, "-m", "hub"], [sys.executable, "-m", "causeway"]])
def test_the_script_and_both_modules_run_the_same_command_line(command: list[str]) -> None:
    """``hub --help``, ``python -m hub --help`` and ``python -m causeway --help`` list the same commands and exit 0."""
    result = subprocess.run([*command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: hub" in result.stdout and "serve" in result.stdout and "migrate" in result.stdout
