"""The README's command blocks paste and run as written, in order, on a fresh data directory.

The rules, for everyone who adds a block to README.md:

- Every fenced block that opens with exactly ```` ```sh ```` is run; other blocks (```` ``` ````,
  ```` ```console ````…) are text.
- The runnable blocks are joined in README order into one ``bash`` script with ``set -euo pipefail``:
  ``export`` in one block holds for the next, and the first failing command fails the test.
- The script runs in an empty temporary directory where ``.venv`` links to the test run's virtualenv,
  with no ``HUB_*`` variable set and no ``hub`` on ``PATH``: write ``.venv/bin/hub``, and ``./data``
  (or a ``HUB_DATA_DIR`` the README sets) is fresh.
- A block that cannot run here (it serves until stopped, asks for input on the terminal, needs another
  server on the network) has the line ``<!-- readme-test: skip (why) -->`` right above its fence; the
  reason is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"^\s*<!--\s*readme-test:")
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>.*\S.*)\)\s*-->")

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Block:
    """One fenced ```sh block of the README."""

    line: int
    """Line number of its opening fence."""
    code: str
    """The commands, as written."""
    skip_reason: str | None
    """Why it is not run (from the marker above it), or None when it runs."""


def sh_blocks(text: str) -> list[Block]:
    """The ```sh blocks of a Markdown text, each with the skip reason of the marker line right above it."""
    blocks = []
    for match in FENCE.finditer(text):
        if match.group("lang").strip() != "sh":
            continue
        above = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        skip = SKIP.fullmatch(above)
        blocks.append(Block(text.count("\n", 0, match.start()) + 1, match.group("code"), skip.group("reason") if skip else None))
    return blocks


def script(blocks: list[Block]) -> str:
    """The runnable blocks as one bash script that stops at the first failing command and says which block it was in."""
    parts = ["set -euo pipefail"]
    for block in blocks:
        if block.skip_reason is None:
            parts += [f"echo '--- README.md block at line {block.line}'", "set -x", block.code, "set +x"]
    return "\n".join(parts) + "\n"


def path_without_hub() -> str:
    """PATH without the directories that hold a ``hub`` command: a block must not depend on an activated virtualenv."""
    return os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "hub").exists())


def test_markers_are_well_formed() -> None:
    """Every readme-test marker is a skip with a reason directly above a ```sh fence; the README has blocks that run."""
    text = README.read_text()
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if MARKER.search(line):
            assert SKIP.fullmatch(line.strip()), f"README.md:{number}: write <!-- readme-test: skip (why) --> on a line of its own"
            assert number < len(lines) and lines[number].strip() == "```sh", f"README.md:{number}: the marker must be right above a ```sh fence"
    blocks = sh_blocks(text)
    assert [b for b in blocks if b.skip_reason is None], "no runnable ```sh block in README.md"
    assert any("make run" in b.code for b in blocks), "the README lost its `make run` block"


def test_sh_blocks_are_found_with_their_skip_reasons() -> None:
    """The parser runs plain ```sh blocks, skips marked ones with their reason, and ignores other languages."""
    text = (
        "intro\n```sh\necho one\n```\n\n<!-- readme-test: skip (serves (forever)) -->\n```sh\nsleep 1000\n```\n"
        "```\nhub not-a-command\n```\n```console\n$ hub x\n```\n"
    )
    blocks = sh_blocks(text)
    assert [(b.line, b.code, b.skip_reason) for b in blocks] == [(2, "echo one\n", None), (7, "sleep 1000\n", "serves (forever)")]
    assert "echo one" in script(blocks) and "sleep 1000" not in script(blocks)


@pytest.mark.timeout(900)  # every block of the walk-through, each a `hub` process: minutes on a loaded machine
def test_readme_blocks_run_in_order_on_a_fresh_data_dir(tmp_path: Path) -> None:
    """Every runnable ```sh block of README.md succeeds, in order, from an empty directory with only .venv in it."""
    (tmp_path / ".venv").symlink_to(sys.prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["PATH"] = path_without_hub()
    result = subprocess.run(["bash", "-c", script(sh_blocks(README.read_text()))], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=840)
    assert result.returncode == 0, f"a README command failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert "Traceback" not in result.stderr, result.stderr
    assert not (REPO_ROOT / "hub.example-data").exists(), "a README block wrote into the checkout"
