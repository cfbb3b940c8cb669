"""A loopback-only ``socket.getaddrinfo`` for the test suite."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_ALLOWED_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_real_getaddrinfo = socket.getaddrinfo


def is_loopback(host: Any) -> bool:
    if host is None:
        return True  # a passive (bind) lookup of the wildcard is answered locally
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower().rstrip(".") in _ALLOWED_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        raise socket.gaierror(
            socket.EAI_NONAME, f"test network guard: {host!r} is not a loopback address"
        )
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.getaddrinfo = _guarded_getaddrinfo
