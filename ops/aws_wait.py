"""Waiting for a change already sent to AWS, with the audit record written either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ops.context import Context
from ops.errors import CommsecError
from ops.progress import wait_until


def wait_audited(
    ctx: Context,
    poll: Callable[[], tuple[bool, str]],
    *,
    what: str,
    timeout_s: float,
    interval_s: float,
    on_timeout: str,
    audit: dict[str, Any],
) -> str:
    """:func:`wait_until`; if the wait fails, record ``audit`` as failed and re-raise.

    The change is already in AWS by then, so the audit log must say so even when the
    command ends with an error.
    """
    try:
        return wait_until(
            poll,
            what=what,
            timeout_s=timeout_s,
            interval_s=interval_s,
            stream=ctx.err,
            on_timeout=on_timeout,
        )
    except CommsecError as error:
        ctx.record_audit(**audit, result=f"failed: {error.message}")
        raise
