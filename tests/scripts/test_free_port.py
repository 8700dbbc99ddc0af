"""The tests' port picker: ports asked for one after another are distinct (nginx's two listeners once got one)."""

from __future__ import annotations

import socket

from tests.support.processes import free_port


def test_ports_asked_for_in_a_row_are_distinct_and_bindable() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))
