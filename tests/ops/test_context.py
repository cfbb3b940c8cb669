"""Guard rails every mutating command relies on: confirmation, audit records, waiting."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ops.context import Context
from ops.errors import InputError, RetryableError
from ops.progress import wait_until


def test_confirmation_is_refused_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    ctx = Context(command="shift start")
    with pytest.raises(InputError, match="without confirmation in a non-interactive") as info:
        ctx.confirm("shift traffic away from use1-az1")
    assert "--yes" in info.value.render()


def test_yes_and_dry_run_skip_the_prompt() -> None:
    Context(command="x", yes=True).confirm("do it")
    Context(command="x", dry_run=True).confirm("do it")


def test_audit_record_is_one_json_line(tmp_path: Path) -> None:
    log = tmp_path / "state" / "audit.jsonl"
    ctx = Context(command="scale nodegroup", stack="prod", audit_log=log)
    first = ctx.record_audit(
        target="web-tier-nodes",
        before={"desired": 3},
        after={"desired": 6},
        result="success",
        operator="arn:test",
    )
    ctx.record_audit(
        target="web-tier-nodes",
        before={"desired": 6},
        after={"desired": 6},
        result="unchanged",
        operator="arn:test",
    )
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record == first
    assert record["operator"] == "arn:test"
    assert record["stack"] == "prod"
    assert record["command"] == "scale nodegroup"
    assert record["before"] == {"desired": 3} and record["after"] == {"desired": 6}
    assert log.stat().st_mode & 0o777 == 0o600


def test_unwritable_audit_log_warns_and_prints_the_record(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    err = io.StringIO()
    ctx = Context(command="x", audit_log=blocker / "audit.jsonl", err=err)
    ctx.record_audit(target="t", before=None, after=None, result="success", operator="me")
    assert "could not append to the audit log" in err.getvalue()
    assert '"result": "success"' in err.getvalue()


def test_wait_until_returns_the_final_status() -> None:
    states = iter(["modifying", "modifying", "available"])
    out = io.StringIO()
    status = wait_until(
        lambda: ((s := next(states)) == "available", s),
        what="db",
        timeout_s=5,
        interval_s=0.01,
        stream=out,
    )
    assert status == "available"
    assert out.getvalue().splitlines()[0].startswith("db: modifying")
    assert out.getvalue().count("modifying") == 1  # plain output only on change


def test_wait_until_times_out_with_the_last_state() -> None:
    with pytest.raises(RetryableError, match="still 'rebooting'"):
        wait_until(
            lambda: (False, "rebooting"),
            what="failover",
            timeout_s=0.05,
            interval_s=0.01,
            stream=io.StringIO(),
        )


def test_now_can_be_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMSEC_NOW", "2026-10-05T08:30:00+11:00")
    assert Context(command="x").now().isoformat() == "2026-10-04T21:30:00+00:00"
    monkeypatch.setenv("COMMSEC_NOW", "2026-10-05T08:30:00")
    with pytest.raises(InputError, match="needs a UTC offset"):
        Context(command="x").now()


def test_confirm_refuses_a_change_that_could_not_be_audited(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    ctx = Context(command="x", yes=True, audit_log=blocker / "audit.jsonl")
    with pytest.raises(InputError, match="cannot append to it"):
        ctx.confirm("cancel 2 zonal shifts")
    Context(command="x", dry_run=True, audit_log=blocker / "audit.jsonl").confirm("dry run")
