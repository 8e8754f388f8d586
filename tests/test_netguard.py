"""The suite's network guard (tests/netguard.py) works: nothing a test runs leaves loopback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests import netguard


def test_the_guard_is_installed_for_the_whole_suite():
    assert netguard.installed()


def test_a_connection_beyond_loopback_is_refused_before_any_packet(monkeypatch):
    sent = []
    # Were the guard to let it through, the connection would reach this recorder, not the wire.
    monkeypatch.setattr(netguard, "_real_connect", lambda sock, address: sent.append(address))
    monkeypatch.setattr(netguard, "_real_getaddrinfo", lambda *a, **k: sent.append(a))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(netguard.NetworkBlocked):
        s.connect(("192.0.2.1", 443))
    with pytest.raises(netguard.NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    assert sent == []
    assert netguard.refused == ["connect to 192.0.2.1:443", "name lookup of huggingface.co"]
    netguard.refused.clear()  # seen; the per-test check would otherwise fail this test


def test_a_swallowed_refusal_is_still_recorded_for_the_per_test_check(monkeypatch):
    monkeypatch.setattr(netguard, "_real_connect", lambda sock, address: None)
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.connect(("2001:db8::1", 80, 0, 0))
    except OSError:
        pass  # what a library falling back to its cache does
    assert netguard.refused == ["connect to 2001:db8::1:80"]
    netguard.refused.clear()


def test_loopback_connections_still_work():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=5):
            conn, _ = server.accept()
            conn.close()
    assert netguard.refused == []


_CHILD = """
import socket, sys
guard = sys.modules["retakes_test_netguard"]
guard._real_connect = lambda sock, address: sys.exit("the connection went through")
try:
    socket.socket().connect(("192.0.2.1", 80))
except guard.NetworkBlocked:
    print("blocked")
"""


def test_processes_started_by_tests_are_guarded_too():
    run = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "blocked"


def test_asking_which_interface_is_allowed_and_a_udp_send_elsewhere_is_not(monkeypatch):
    # The LAN-address idiom (a UDP connect to RFC 5737's unrouted range) sends nothing: allowed.
    # The same to a routed address is refused like TCP.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
    assert netguard.refused == []
    monkeypatch.setattr(netguard, "_real_connect", lambda sock, address: None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, pytest.raises(netguard.NetworkBlocked):
        s.connect(("8.8.8.8", 53))
    assert netguard.refused == ["connect to 8.8.8.8:53"]
    netguard.refused.clear()
