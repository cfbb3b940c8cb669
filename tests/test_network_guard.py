"""The suite's own safety net: nothing it runs can resolve a name other than loopback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_in_process_lookups_of_other_hosts_are_refused() -> None:
    with pytest.raises(socket.gaierror, match="test network guard"):
        socket.getaddrinfo("commsec-web-alb-1.us-east-1.elb.amazonaws.com", 443)
    with pytest.raises(socket.gaierror, match="test network guard"):
        socket.getaddrinfo("169.254.169.254", 80)  # the instance-metadata address
    assert socket.getaddrinfo("127.0.0.1", 80)[0][4][0] == "127.0.0.1"


def test_processes_started_by_tests_inherit_the_guard() -> None:
    probe = (
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('example.com', 443)\n"
        "except socket.gaierror as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert "test network guard" in done.stdout
