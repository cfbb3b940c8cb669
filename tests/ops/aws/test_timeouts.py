"""Every ``--timeout`` is a finite, positive, bounded number of seconds, checked at parse time,
and the wait itself refuses a deadline that could never come."""

from __future__ import annotations

import argparse
import math
from datetime import UTC, datetime

import pytest

from ops.aws_wait import MAX_WAIT_S, wait_seconds
from ops.progress import wait_until
from tests.ops.aws.conftest import AwsLab

# Each command that waits after a mutation, with the arguments it needs besides --timeout.
_WAITING_COMMANDS = [
    ("db", "failover"),
    ("scale", "nodegroup", "web", "--desired", "5"),
    ("backup", "snapshot"),
    ("backup", "restore", "--to", "NOW"),
]


def _now(command: tuple[str, ...]) -> list[str]:
    """``command`` with NOW as the current time, which is inside the restorable window."""
    return [datetime.now(UTC).isoformat() if word == "NOW" else word for word in command]


@pytest.mark.parametrize("command", _WAITING_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(
    "value",
    ["nan", "inf", "-inf", "1e400", "-1", "0", "-0.5", "86401", "soon", ""],
)
def test_a_timeout_that_is_not_finite_positive_and_bounded_is_refused(
    lab: AwsLab, capsys, command, value
) -> None:
    # --dry-run makes no wait at all, so a value the parser lets through shows as exit 0
    # here instead of as a command that never ends.
    assert lab.run(*_now(command), f"--timeout={value}", "--dry-run") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and "\n" not in err
    assert "argument --timeout" in err
    assert "above 0 and at most 86400 (24 h)" in err and "such as 900" in err
    assert lab.moto_proxy.requests("") == []  # refused before any AWS call


@pytest.mark.parametrize("command", _WAITING_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_sensible_timeout_is_accepted(lab: AwsLab, capsys, command) -> None:
    assert lab.run(*_now(command), "--timeout", "600", "--dry-run") == 0
    assert "Would call" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "seconds"), [("0.5", 0.5), ("900", 900.0), ("86400", 86400.0)])
def test_wait_seconds_parses_the_bounds(text: str, seconds: float) -> None:
    assert wait_seconds(text) == seconds
    assert MAX_WAIT_S == 86400.0


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-1", "0", "86400.5"])
def test_wait_seconds_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="above 0 and at most 86400"):
        wait_seconds(text)


@pytest.mark.parametrize("timeout_s", [math.nan, math.inf, 0.0, -1.0])
def test_wait_until_refuses_a_deadline_that_never_comes(timeout_s: float) -> None:
    polls = []

    def poll() -> tuple[bool, str]:
        polls.append(1)
        if len(polls) > 3:  # bounds the test itself should the guard be missing
            raise RuntimeError("wait_until kept polling")
        return False, "pending"

    with pytest.raises(ValueError, match="finite number of seconds above 0"):
        wait_until(poll, what="test", timeout_s=timeout_s, interval_s=0.01)
    assert polls == []
