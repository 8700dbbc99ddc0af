"""FEDERATION.md's interop matrix, checked row by row: its "sends" columns against the code, its payloads end to end.

Each named payload goes through the hub's inbound path exactly as tests/federation/test_payloads.py sends it
(rewritten onto fake hosts, re-signed, POSTed, the worker drained), and must end as the matrix says; objects and
collections are read as the hub reads fetched documents.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from federation.features.partners import SILENT_REJECT_SOFTWARE, understands_invite
from federation.nodeinfo import announce_form
from tests.federation import test_payloads as payloads

pytestmark = pytest.mark.db

FEDERATION_MD = Path(__file__).resolve().parents[2] / "FEDERATION.md"
SOFTWARE_ROWS = ("Mastodon", "Lemmy", "Mbin", "Friendica", "Mobilizon", "Pleroma", "Misskey", "GoToSocial", "PeerTube")
"""The peer software the matrix must cover (issue 17.5), by the first word of its row."""
NO_PAYLOAD = "no payload in the corpus"
_ENTRY = re.compile(r"`([a-z0-9]+/[^`]+\.json)`: (done|ignored|refused|parsed)")


@dataclass(frozen=True)
class Row:
    """One row of the matrix."""

    label: str
    names: tuple[str, ...]
    posts: str
    invites: str
    refusals: str
    backed_by: str

    @property
    def software(self) -> str:
        """The row's first word (Mastodon, Lemmy, ...)."""
        return re.match(r"[A-Za-z]+", self.label).group(0)

    @property
    def entries(self) -> list[tuple[str, str]]:
        """(payload path, outcome) pairs of the "Backed by" column."""
        return _ENTRY.findall(self.backed_by)


def matrix() -> list[Row]:
    """The rows of FEDERATION.md's "Interop matrix" table."""
    text = FEDERATION_MD.read_text()
    section = text.split("\n## Interop matrix\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| Software") or line.startswith("| ---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 6, f"a matrix row needs six cells: {line}"
        names = tuple(re.findall(r"`([a-z0-9.-]+)`", cells[0]))
        rows.append(Row(cells[0], names, cells[1], cells[2], cells[3], cells[5]))
    return rows


ROWS = matrix()
ENTRIES = [(row.software, path, outcome) for row in ROWS for path, outcome in row.entries]
ACTIVITY_ENTRIES = [e for e in ENTRIES if e[2] != "parsed"]
DOCUMENT_ENTRIES = [e for e in ENTRIES if e[2] == "parsed"]


def test_every_peer_software_has_a_row_naming_its_nodeinfo_names() -> None:
    """Mastodon, Lemmy, Mbin, Friendica, Mobilizon, Pleroma/Akkoma, Misskey, GoToSocial and PeerTube each have a row."""
    labels = [row.software for row in ROWS]
    assert labels == list(SOFTWARE_ROWS)
    assert all(row.names for row in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.software)
def test_what_the_row_says_is_sent_is_what_the_code_sends(row: Row) -> None:
    """The Announce form, the invite's form and the refusal's form of each named software agree with the code."""
    for name in row.names:
        assert announce_form(name) == ("activity" if "of the activity" in row.posts else "object"), name
        assert understands_invite(name, {}) == row.invites.startswith("`Invite`"), name
        assert (name in SILENT_REJECT_SOFTWARE) == ("direct message" in row.refusals), name


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.software)
def test_each_row_is_backed_by_its_own_softwares_payloads(row: Row) -> None:
    """Every named payload exists and is that software's; a row without one says so, and the corpus has none."""
    if payloads.PAYLOADS is None:
        pytest.skip("../shared/interop/payloads is not present")
    if row.backed_by == NO_PAYLOAD:
        assert not any((payloads.PAYLOADS / name).exists() for name in row.names), "payloads exist now: name them"
        return
    assert row.entries, f"{row.label}: no payload named"
    assert len(row.entries) == row.backed_by.count("`") // 2, f"{row.label}: an entry is not `path`: outcome"
    for path, _ in row.entries:
        assert path.split("/")[0] in row.names, f"{path} is not a payload of {row.label}"
        assert (payloads.PAYLOADS / path).is_file(), f"{path} does not exist"


def _case(path: str, outcome: str) -> payloads.Case:
    """The payload test's case for ``path``, expecting the matrix's outcome instead of its own."""
    case = next(c for c in payloads.CASES if c.path == path and not c.variant)
    if outcome == "refused":
        return dataclasses.replace(case, status=400, state=None, reason=case.reason if case.status >= 400 else "")
    return dataclasses.replace(case, status=202, state=outcome)


@payloads.needs_payloads
@pytest.mark.parametrize(("software", "path", "outcome"), ACTIVITY_ENTRIES, ids=[f"{s}:{p}" for s, p, _ in ACTIVITY_ENTRIES])
async def test_named_activity_has_the_stated_outcome(software: str, path: str, outcome: str, database_url: str,
                                                     tmp_path: Path) -> None:
    """Delivered to the hub's inbox, the payload ends done, ignored or refused as the matrix says."""
    await payloads.test_payload_is_handled_or_ignored_with_a_reason(_case(path, outcome), database_url, tmp_path)


@payloads.needs_payloads
@pytest.mark.parametrize(("software", "path", "outcome"), DOCUMENT_ENTRIES, ids=[f"{s}:{p}" for s, p, _ in DOCUMENT_ENTRIES])
async def test_named_document_is_parsed(software: str, path: str, outcome: str, db, tmp_path: Path) -> None:
    """The object or collection is read as a fetched document (actor, post draft or collection items)."""
    await payloads.test_object_and_collection_payloads_parse_like_fetched_documents(path, db, tmp_path)
