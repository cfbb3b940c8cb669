"""Waiting for AWS or Kubernetes to finish something, visibly and with a deadline."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from ops.errors import InputError, RetryableError

_SPINNER = "|/-\\"


def poll_interval(default_s: float) -> float:
    """The polling interval; ``COMMSEC_POLL_INTERVAL`` shortens it for tests and demos."""
    override = os.environ.get("COMMSEC_POLL_INTERVAL")
    if not override:
        return default_s
    try:
        value = float(override)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(
            f"environment variable COMMSEC_POLL_INTERVAL={override!r} must be a positive "
            "number of seconds",
            hint="unset it for the default",
        )
    return value


def wait_until(
    poll: Callable[[], tuple[bool, str]],
    *,
    what: str,
    timeout_s: float,
    interval_s: float = 10.0,
    stream: TextIO | None = None,
    on_timeout: str = "",
) -> str:
    """Call ``poll`` until it reports done; return its last status.

    On a terminal a spinner line shows the status and the elapsed time; elsewhere (CI, a
    pipe) a plain line is written whenever the status changes, so logs stay readable. When
    ``timeout_s`` passes, :class:`RetryableError` says what was last seen; ``on_timeout``
    tells the operator what is still running and how to follow it.
    """
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        # A NaN deadline is never passed and an infinite one never comes: either would wait
        # forever after a change was already sent. Callers validate their --timeout first.
        raise ValueError(f"timeout_s must be a finite number of seconds above 0, not {timeout_s}")
    out = stream or sys.stderr
    tty = out.isatty()
    interval = poll_interval(interval_s)
    started = time.monotonic()
    last_status = None
    tick = 0
    while True:
        done, status = poll()
        elapsed = time.monotonic() - started
        if tty:
            out.write(f"\r{_SPINNER[tick % 4]} {what}: {status} ({elapsed:.0f}s)\033[K")
            out.flush()
        elif status != last_status:
            out.write(f"{what}: {status} ({elapsed:.0f}s)\n")
            out.flush()
        last_status, tick = status, tick + 1
        if done:
            if tty:
                out.write("\n")
            return status
        if elapsed + interval > timeout_s:
            if tty:
                out.write("\n")
            raise RetryableError(
                f"{what}: still '{status}' after {elapsed:.0f} s (timeout {timeout_s:.0f} s)",
                hint=on_timeout or None,
            )
        time.sleep(interval)
