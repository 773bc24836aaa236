"""The suite's own guards: no test reaches the network beyond loopback."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_a_test_cannot_reach_a_host_beyond_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with pytest.raises(SocketConnectBlockedError):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routable


def test_loopback_is_allowed(live_server):
    import requests

    assert requests.get(f"{live_server.url}/healthz", timeout=10).status_code in (200, 503)
