"""Test support shared by the process-level suites (no imports of Causeway code)."""

from tests.support.processes import (
    ServerProcess,
    free_port,
    wait_until,
    wait_until_sync,
)

__all__ = ["ServerProcess", "free_port", "wait_until", "wait_until_sync"]
