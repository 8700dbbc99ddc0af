"""Fixtures of the hub's storage tests.

- ``through_orm``: the sizes of the inbox batches written through the ORM (hub.intake.write_batch), in order.
"""

from __future__ import annotations

import pytest

from hub import intake
from hub.intake import InboxEntry


@pytest.fixture
def through_orm(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches written through the ORM, in order."""
    sizes: list[int] = []
    real = intake.write_batch

    async def counted(items: list[InboxEntry]) -> list[bool]:
        sizes.append(len(items))
        return await real(items)

    monkeypatch.setattr(intake, "write_batch", counted)
    return sizes
