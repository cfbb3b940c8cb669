"""Waiting for a change already sent to AWS, and what to say when that wait goes wrong.

Once a mutating call has been answered, the change exists in AWS whatever happens next. A
failure after that point (the wait timing out, a describe call answering 404 or being
throttled, an answer botocore cannot parse) is therefore never "bad input" nor an "internal
error": it is exit 1, it names the change that was submitted, the state last seen and how to
follow the change, and the audit record says "submitted; wait failed".

Before that point, :func:`send_change` makes the mutating call itself. A call whose answer
is lost (a read timeout, a dropped connection, an unreadable answer, a 5xx, or a failure after
botocore retried) may have taken effect: it is audited as "unknown: ..." and its error says how
to follow the change instead of inviting a re-run. A retry that AWS refuses because the
resource "already exists" proves, for an identifier only this run could have chosen, that the
first attempt landed: the command then carries on as if it had been answered.

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
from ops.errors import CommsecError, EscalateError, RetryableError, aws_errors, truncate
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
        message = f"{self.what} was submitted, but waiting for it failed: {reason}"
        if self.last_seen is None or self.last_seen not in reason:
            message += f"; last state seen: {seen}"
        return _after_sending(error)(message, hint=self.follow)


def _after_sending(error: Exception) -> type[CommsecError]:
    """The kind of error to raise for a failure once a change may be in AWS.

    RetryableError and EscalateError keep their kind; anything else (a 404 on a describe call,
    which ``from_aws`` calls bad input) is no fault of the command line, so it is exit 1.
    """
    return type(error) if isinstance(error, RetryableError | EscalateError) else RetryableError


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


def _error_code(exc: BaseException | None) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None


def _retried(exc: BaseException | None) -> bool:
    """Whether botocore sent the call more than once before answering with ``exc``."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) > 0


def _may_have_landed(exc: BaseException | None) -> bool:
    """Whether AWS may have acted on a call that ended in ``exc``.

    NOTE: botocore raises only the last attempt's exception and keeps no record of the
    earlier ones. So a refusal after a retry counts as unknown (the attempt before it may
    have been sent and its answer lost), even when every attempt was in fact throttled; and a
    connection that could not be opened counts as nothing sent, although an earlier attempt
    of the same call may have timed out after being sent.
    """
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bx.ReadTimeoutError | bx.ConnectionClosedError | ResponseParserError):
        return True
    if isinstance(exc, bx.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return status >= 500 or _retried(exc)
    return False


def send_change(
    ctx: Context,
    change: Submitted,
    call: Callable[[], Any],
    *,
    action: str,
    landed_if: str | None = None,
) -> str | None:
    """Make the mutating ``call`` that submits ``change``; a warning when its answer was lost.

    ``landed_if`` is the error code (``DBSnapshotAlreadyExists``) that a retry gets when the
    first attempt created the resource. Pass it only when nothing but this very call can have
    created it: an identifier unique to this run, or a name checked to be free just before.
    The command then goes on as if the call had been answered, and the returned warning says
    so. Any other failure is audited (``unknown: ...`` when AWS may have acted, else
    ``failed: ...``) and raised.
    """
    try:
        with aws_errors(action):
            call()
    except CommsecError as error:
        cause = error.__cause__
        if landed_if is not None and _error_code(cause) == landed_if and _retried(cause):
            lost = (
                f"{action}: the first answer was lost and the retry found the change already "
                f"made ({landed_if}), so this run's request landed"
            )
            change.audit["details"] = {**(change.audit.get("details") or {}), "answer": lost}
            return lost
        if not _may_have_landed(cause):
            ctx.record_audit(**change.audit, result=f"failed: {error.message}")
            raise
        ctx.record_audit(**change.audit, result=f"unknown: {error.message}")
        raise _after_sending(error)(
            f"{change.what} was sent, but whether AWS made it is unknown: {error.message}",
            hint=change.follow,
        ) from cause
    return None
