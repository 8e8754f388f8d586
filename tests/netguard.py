"""The suite's network guard: nothing a test runs may connect beyond loopback.

retakes must work where there is no internet, and no test may fetch weights or anything else.
`install()` wraps the socket module so that a TCP/UDP connect to a non-loopback address, or a
name lookup of a host other than this machine's own, raises `NetworkBlocked` and is recorded
(a library that swallows the error, as hub clients do when they fall back to a cache, still
fails the test: conftest checks the record after every test). Child Python processes the tests
start get the same guard through `netguard_site/sitecustomize.py`, found via PYTHONPATH.
Unix sockets (the engine's default) and loopback TCP are untouched.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
#: what was refused, in order (conftest empties it per test)
refused: list[str] = []


class NetworkBlocked(ConnectionRefusedError):
    """Raised instead of a connection to anything but loopback."""


def _own_names() -> set[str]:
    names = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
    with contextlib.suppress(OSError):
        names.add(socket.gethostname().lower())
    # This machine's own LAN address (a page bound to 0.0.0.0 is reached there): connecting to it
    # stays on this machine. Found as bridge.review.server.lan_address finds it; nothing is sent.
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        _real_connect(probe, ("192.0.2.1", 9))
        names.add(probe.getsockname()[0])
    return names


_OWN = _own_names()


def is_loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in _OWN or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_literal(host) -> bool:
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False


def _refuse(what: str) -> NetworkBlocked:
    refused.append(what)
    return NetworkBlocked(f"blocked by the test suite's network guard: {what} (tests may use loopback only)")


#: RFC 5737's documentation range: never routed. A UDP connect to it sends nothing and is the usual
#: way to ask which interface (so which LAN address) this machine would use (bridge.review.server).
_DOCUMENTATION = ipaddress.ip_network("192.0.2.0/24")


def _picks_an_interface(sock: socket.socket, host) -> bool:
    if sock.type != socket.SOCK_DGRAM or not _is_literal(host):
        return False
    return ipaddress.ip_address(str(host)) in _DOCUMENTATION


def _check(sock: socket.socket, address) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not is_loopback(address[0]) and not _picks_an_interface(sock, address[0]):
        raise _refuse(f"connect to {address[0]}:{address[1]}")


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_literal(host) and not is_loopback(host):
        raise _refuse(f"name lookup of {host}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.getaddrinfo = _getaddrinfo


def installed() -> bool:
    return socket.socket.connect is _connect and socket.getaddrinfo is _getaddrinfo
