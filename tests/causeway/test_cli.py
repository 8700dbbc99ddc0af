"""The composed ``hub`` command line: every layer's commands in one tree, run by the script and ``python -m hub``."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from causeway import cli
from hub.cli import CommandLine

REPO = Path(__file__).resolve().parents[2]
HUB = Path(sys.executable).with_name("hub")


def test_the_tree_has_every_layers_commands_in_order() -> None:
    """Domain (migrate, campaign, announcement), federation (worker, relay, invite) and web (serve) commands are all registered."""
    tree = cli.build()
    names = list(tree._subparsers[()].choices)
    assert {"migrate", "group", "member", "campaign", "call", "decision", "library", "event", "announcement", "organiser", "invite", "collaboration", "worker", "relay",
            "moderation", "serve"} <= set(names)
    assert names[0] == "migrate" and names[-1] == "serve"
    assert len(set(cli.EAGER)) == len(cli.EAGER), "a layer's commands are registered twice"
    assert len({module for module, _ in cli.LAZY}) == len(cli.LAZY), "a layer's commands are registered twice"


def registered_paths(register) -> list[str]:
    """The command paths one module's ``register`` adds."""
    tree, paths = CommandLine(), []
    command = tree.command
    tree.command = lambda path, *args, **kwargs: paths.append(path) or command(path, *args, **kwargs)
    register(tree)
    return paths


def leaves(tree: CommandLine, path: tuple[str, ...] = ()) -> list[str]:
    """Every command path of a tree."""
    found = []
    for name, parser in tree._subparsers[path].choices.items():
        found += leaves(tree, (*path, name)) if (*path, name) in tree._subparsers else [" ".join((*path, name))]
    return found


def test_the_lazy_table_names_exactly_what_each_module_registers() -> None:
    """Each lazy module's prefixes cover every command it registers, and each prefix covers one of them."""
    for module, prefixes in cli.LAZY:
        paths = registered_paths(importlib.import_module(module).register)
        assert paths, module
        for path in paths:
            assert any(cli._names(prefix, path.split()) and len(prefix.split()) <= len(path.split()) for prefix in prefixes), \
                f"{module} registers {path!r}, which LAZY does not name"
        for prefix in prefixes:
            assert any(path.split()[:len(prefix.split())] == prefix.split() for path in paths), f"{module}: stale prefix {prefix!r}"


def test_every_command_is_in_the_tree_built_for_it() -> None:
    """For each command of the full tree, the tree built from that command line holds it."""
    full = cli.build()
    paths = leaves(full)
    assert len(paths) > 80
    for path in paths:
        tree = cli.build([*path.split(), "ARG", "--flag"])
        assert path in leaves(tree), path
    # a group's help lists all of its commands, whichever module registered them
    assert {p for p in leaves(cli.build(["group", "--help"])) if p.startswith("group ")} == {p for p in paths if p.startswith("group ")}


def test_a_domain_command_does_not_import_the_federation_or_the_web_app() -> None:
    """``hub group create`` starts without ActivityPub features or the web app; ``hub group follow`` loads them."""
    probe = ("import sys; from causeway.cli import build; build(sys.argv[1:]); "
             "print(sorted(m for m in ('federation.features.collaboration', 'web.app', 'pyld') if m in sys.modules))")
    quick = subprocess.run([sys.executable, "-c", probe, "group", "create", "aid"], capture_output=True, text=True, timeout=60)
    assert quick.returncode == 0, quick.stderr
    assert quick.stdout.strip() == "[]"
    full = subprocess.run([sys.executable, "-c", probe, "group", "follow", "aid", "@x@y.example"], capture_output=True, text=True, timeout=60)
    assert "federation.features.collaboration" in full.stdout


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
