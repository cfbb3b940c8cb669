"""Waiting for a change already sent to AWS, and what to say when that wait goes wrong.

Once a mutating call has been answered, the change exists in AWS whatever happens next. A
failure after that point (the wait timing out, a describe call answering 404 or being
throttled, an answer botocore cannot parse) is therefore never "bad input" nor an "internal
error": it is exit 1, it names the change that was submitted, the state last seen and how to
follow the change, and the audit record says "submitted; wait failed".

Every ``--timeout`` of these commands is parsed by :func:`wait_seconds`, so a wait can never
be unbounded (``nan``, ``inf``) or already over (``0``, a negative number).
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ops.context import Context
from ops.errors import CommsecError, EscalateError, RetryableError, truncate
from ops.progress import wait_until

# The longest RDS restore or snapshot worth waiting for in one command; past that the operator
# follows the change with the AWS CLI instead of keeping a terminal open for a day.
MAX_WAIT_S = 24 * 3600.0


def wait_seconds(text: str) -> float:
    """argparse type of every ``--timeout``: seconds, finite, above 0 and at most a day."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_WAIT_S):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above 0 and at most {MAX_WAIT_S:.0f} (24 h); "
            "give one such as 900"
        )
    return seconds


class OperationFailed(EscalateError):
    """The submitted change reached a final state other than success (a failed update)."""


@dataclass
class Submitted:
    """A change AWS has accepted: how to name it, how to follow it, what to audit if the
    command cannot see it through."""

    what: str
    follow: str
    audit: dict[str, Any]
    last_seen: str | None = field(default=None, init=False)

    def failure(self, ctx: Context, error: Exception) -> CommsecError:
        """Record the failed follow-up in the audit log; the exit-1 error to raise."""
        if isinstance(error, OperationFailed):
            ctx.record_audit(**self.audit, result=f"failed: {error.message}")
            return error
        reason = (
            error.message
            if isinstance(error, CommsecError)
            else f"unexpected {type(error).__name__}: {truncate(error, 200)}"
        )
        seen = self.last_seen or "nothing yet"
        details = {**(self.audit.get("details") or {}), "lastSeen": self.last_seen}
        audit = {**self.audit, "details": details}
        ctx.record_audit(**audit, result=f"failed: submitted; wait failed: {reason}")
        # RetryableError and EscalateError keep their kind; anything else (a 404 on a
        # describe call, which from_aws calls bad input) says the change goes on in AWS.
        kind = type(error) if isinstance(error, RetryableError | EscalateError) else RetryableError
        message = f"{self.what} was submitted, but waiting for it failed: {reason}"
        if self.last_seen is None or self.last_seen not in reason:
            message += f"; last state seen: {seen}"
        return kind(message, hint=self.follow)


@contextlib.contextmanager
def following(ctx: Context, change: Submitted) -> Iterator[Submitted]:
    """Run the steps after a submitted change; any failure in them becomes
    :meth:`Submitted.failure` (exit 1, audited)."""
    try:
        yield change
    # Deliberately broad: whatever breaks once the change is in AWS (a malformed answer that
    # botocore raises outside its own hierarchy, a missing field), the operator must still
    # learn what was submitted and how to follow it, and the audit log must have it.
    except Exception as error:
        raise change.failure(ctx, error) from error


def wait_audited(
    ctx: Context,
    poll: Callable[[], tuple[bool, str]],
    *,
    what: str,
    timeout_s: float,
    interval_s: float,
    change: Submitted,
) -> str:
    """:func:`wait_until` for ``change``; a failed wait is :meth:`Submitted.failure`.

    The change is already in AWS by then, so the audit log must say so even when the
    command ends with an error, and the error must say how to follow the change.
    """

    def watched() -> tuple[bool, str]:
        done, status = poll()
        change.last_seen = status
        return done, status

    with following(ctx, change):
        return wait_until(
            watched,
            what=what,
            timeout_s=timeout_s,
            interval_s=interval_s,
            stream=ctx.err,
            on_timeout=change.follow,
        )
