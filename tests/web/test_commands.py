"""`hub serve` refuses a port it cannot use: out of range is a usage error (exit 2), taken is a failure (exit 1)."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

import pytest

from hub.settings import load_settings
from tests.support.processes import run_hub
from web.commands import domain_notice, listen_socket, port_number
from web.errors import PortUnavailable


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http", "65536"])
def test_serve_refuses_a_port_out_of_range_as_a_usage_error(port: str, tmp_path: Path) -> None:
    """`hub serve --port 99999` exits 2 with argparse's usage line naming --port and the accepted range."""
    result = run_hub(["serve", "--port", port], env={"HUB_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "--port" in result.stderr and "1 to 65535" in result.stderr


def test_port_number_accepts_the_tcp_range() -> None:
    """1 and 65535 are ports; the parser hands back ints."""
    assert port_number("1") == 1 and port_number("65535") == 65535
    with pytest.raises(argparse.ArgumentTypeError):
        port_number("65536")


def test_serve_on_a_port_in_use_says_so_with_exit_1(tmp_path: Path) -> None:
    """Another process listens on the port: `hub serve` names the port, says it is in use, exits 1, no traceback."""
    assert run_hub(["migrate"], env={"HUB_DATA_DIR": str(tmp_path)}, cwd=tmp_path).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_hub(["serve", "--port", str(port)], env={"HUB_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_listen_socket_refuses_a_host_that_is_not_this_machine() -> None:
    """A host name that does not resolve is refused with the name in the message."""
    with pytest.raises(PortUnavailable, match="no-such-host.invalid"):
        listen_socket("no-such-host.invalid", 8000)


def test_serving_another_port_than_a_loopback_domain_warns() -> None:
    """HUB_DOMAIN 127.0.0.1:8000 served on 8001: a warning names both and the HUB_DOMAIN to set; a public domain behind a proxy gets none."""
    notice = domain_notice(load_settings({}), "127.0.0.1", 8001)
    assert notice is not None and "127.0.0.1:8000" in notice and "HUB_DOMAIN=127.0.0.1:8001" in notice
    assert domain_notice(load_settings({}), "127.0.0.1", 8000) is None
    assert domain_notice(load_settings({"HUB_DOMAIN": "hub.example"}), "127.0.0.1", 8001) is None
