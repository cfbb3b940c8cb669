"""``shift start`` and ``shift cancel`` when ARC acted on a request but its answer never came.

The fault proxy's late answer forwards the request to the ARC emulator at once (so the change
is made) and holds the answer past the client's read timeout; a dropped connection never
reaches ARC at all. Either way the client sees the same kind of failure, so the command must
read the state back and report what is really active.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.ops.aws.conftest import AwsLab

_LATE_S = 1.0  # longer than the read timeout below, bounded by the proxy


@pytest.fixture
def impatient(lab: AwsLab, monkeypatch: pytest.MonkeyPatch) -> AwsLab:
    """One attempt per call and a short read timeout, so a late answer is a lost one."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("COMMSEC_AWS_READ_TIMEOUT", "0.3")
    return lab


def _active(lab: AwsLab) -> dict[str, str]:
    return {
        s.resource: s.zonal_shift_id for s in lab.arc.emulator.state.shifts if s.status == "ACTIVE"
    }


def test_start_whose_answers_were_lost_reports_the_shifts_that_exist(
    impatient: AwsLab, capsys
) -> None:
    lab = impatient
    lab.arc_proxy.arm("late", match="arc-zonal-shift:StartZonalShift", times=2, delay_s=_LATE_S)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes", "--format", "json") == 1
    captured = capsys.readouterr()
    active = _active(lab)
    assert set(active) == {lab.outputs["webAlbArn"], lab.outputs["appAlbArn"]}
    doc = json.loads(captured.out)
    for tier in ("web", "app"):
        shown = doc["result"]["loadBalancers"][tier]
        assert shown["action"] == "started" and shown["error"] is None
        assert shown["shift"]["zonalShiftId"] == active[lab.outputs[f"{tier}AlbArn"]]
        assert shown["shift"]["awayFrom"] == lab.stack.az_ids["us-east-1a"]
        assert "timed out waiting for AWS" in shown["readBack"]
    assert doc["ok"] is False and len(doc["warnings"]) == 2
    assert "no zonal shift was started" not in captured.out + captured.err
    [record] = lab.audit()
    assert record["result"] == "succeeded, read back after a lost answer"
    assert set(record["after"]) == {"web", "app"}
    # two starts, then one read-back list per ALB
    assert lab.arc.emulator.calls_of("POST /zonalshifts") == 2
    assert lab.arc.emulator.calls_of("GET /zonalshifts") == 2


def test_start_text_says_each_alb_is_shifted_and_how_to_check(impatient: AwsLab, capsys) -> None:
    lab = impatient
    lab.arc_proxy.arm("late", match="arc-zonal-shift:StartZonalShift", times=2, delay_s=_LATE_S)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    captured = capsys.readouterr()
    label = f"us-east-1a ({lab.stack.az_ids['us-east-1a']})"
    for tier in ("web", "app"):
        shift_id = _active(lab)[lab.outputs[f"{tier}AlbArn"]]
        assert f"{tier} ALB: shifted away from {label} by shift {shift_id} until" in captured.out
        assert f"Warning: {tier} ALB: StartZonalShift on the {tier} ALB timed out" in captured.err
    assert "ARC's answer was lost for the web, app ALB" in captured.out
    assert "'commsec shift status'" in captured.out


def test_start_whose_read_back_fails_too_says_the_shift_may_exist(impatient: AwsLab, capsys):
    lab = impatient
    lab.arc_proxy.arm("late", match="arc-zonal-shift:StartZonalShift", times=2, delay_s=_LATE_S)
    lab.arc_proxy.arm("5xx", match="arc-zonal-shift:ListZonalShifts")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: the zonal shifts may or may not have started: web ALB: ")
    assert "reading its shifts back failed too" in err and "the web ALB may be shifted" in err
    assert err.endswith("(check with 'commsec shift status')") and "\n" not in err
    assert "no zonal shift was started" not in err
    assert len(_active(lab)) == 2  # they do exist
    [record] = lab.audit()
    assert record["result"] == "unknown: answer lost and read-back failed"
    assert record["details"]["web"]["action"] == "unknown"


def test_one_alb_read_back_failing_is_unknown_not_partial(impatient: AwsLab, capsys) -> None:
    lab = impatient
    web = lab.outputs["webAlbArn"]
    lab.arc_proxy.arm("late", match="arc-zonal-shift:StartZonalShift", times=2, delay_s=_LATE_S)
    # the read-back of the web ALB only: its ARN as it appears in the list call's query
    lab.arc_proxy.arm("5xx", match=f"resourceIdentifier={quote(web, safe='-_.~')}")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    out = capsys.readouterr().out
    assert "web ALB: unknown: StartZonalShift on the web ALB timed out" in out
    assert "app ALB: shifted away from" in out
    assert "UNKNOWN: shifted app; the web ALB may or may not be shifted away" in out
    assert "NOT shifted" not in out


def test_dropped_start_is_read_back_and_nothing_was_started(lab: AwsLab, capsys) -> None:
    # A dropped connection never reaches ARC: the read-back proves nothing changed.
    lab.arc_proxy.arm("drop", match="arc-zonal-shift:StartZonalShift")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--lb", "web", "--yes") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: StartZonalShift on the web ALB could not reach the AWS endpoint")
    assert "so the request may have reached ARC; ARC shows no active shift on the web ALB" in err
    assert _active(lab) == {}
    assert lab.audit()[0]["result"] == "failed"


def test_lost_update_of_an_existing_shift_is_read_back(impatient: AwsLab, capsys) -> None:
    lab = impatient
    existing = lab.existing_shift("web", "us-east-1a", expires_in="30m")
    lab.arc_proxy.arm("late", match="arc-zonal-shift:UpdateZonalShift", delay_s=_LATE_S)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--lb", "web", "--yes") == 1
    out = capsys.readouterr().out
    assert "web ALB: shifted away from us-east-1a" in out
    assert f"by shift {existing['zonalShiftId']}" in out
    [record] = lab.audit()
    assert record["details"]["web"]["action"] == "updated"
    assert record["before"]["web"]["zonalShiftId"] == existing["zonalShiftId"]


def test_cancel_whose_answer_was_lost_reports_it_cancelled(impatient: AwsLab, capsys) -> None:
    lab = impatient
    shift = lab.existing_shift("web", "us-east-1a")
    lab.arc_proxy.arm("late", match="arc-zonal-shift:CancelZonalShift", delay_s=_LATE_S)
    assert lab.run("shift", "cancel", "--lb", "web", "--yes") == 1
    captured = capsys.readouterr()
    assert _active(lab) == {}
    assert (
        f"web ALB: cancelled {shift['zonalShiftId']} (away from {shift['awayFrom']}) "
        "(read back from ARC: the answer was lost)"
    ) in captured.out
    assert "Warning: web ALB: CancelZonalShift on the web ALB timed out" in captured.err
    assert "FAILED" not in captured.out
    assert lab.audit()[0]["result"] == "succeeded, read back after a lost answer"


def test_cancel_that_never_arrived_says_the_shift_is_still_active(lab: AwsLab, capsys) -> None:
    shift = lab.existing_shift("web", "us-east-1a")
    lab.arc_proxy.arm("drop", match="arc-zonal-shift:CancelZonalShift")
    assert lab.run("shift", "cancel", "--lb", "web", "--yes") == 1
    out = capsys.readouterr().out
    assert f"ARC shows shift {shift['zonalShiftId']} still active" in out
    assert "check with 'commsec shift status'" in out
    assert list(_active(lab).values()) == [shift["zonalShiftId"]]


def test_cancel_whose_read_back_fails_too_is_unknown(impatient: AwsLab, capsys) -> None:
    lab = impatient
    lab.existing_shift("web", "us-east-1a")
    lab.arc_proxy.arm("late", match="arc-zonal-shift:CancelZonalShift", delay_s=_LATE_S)
    # the first listing finds the shift to cancel; the read-back after the lost answer fails
    lab.arc_proxy.arm("5xx", match="arc-zonal-shift:ListZonalShifts", skip=1)
    assert lab.run("shift", "cancel", "--lb", "web", "--yes", "--format", "json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"]["unknown"] == ["web"]
    [failure] = doc["result"]["failed"]
    assert "may have been cancelled" in failure["error"]
    assert "check with 'commsec shift status'" in failure["error"]


def test_cancel_retried_after_a_late_answer_counts_the_ended_shift_as_cancelled(
    lab: AwsLab, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two attempts: the first reaches ARC but its answer is late; the retry finds the shift
    # no longer active (ConflictException, ZonalShiftStatusNotActive).
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("COMMSEC_AWS_READ_TIMEOUT", "0.3")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--lb", "web", "--yes") == 0
    capsys.readouterr()
    lab.arc_proxy.arm("late", match="arc-zonal-shift:CancelZonalShift", times=1, delay_s=_LATE_S)
    assert lab.run("shift", "cancel", "--lb", "web", "--yes") == 0
    captured = capsys.readouterr()
    assert "FAILED" not in captured.out + captured.err
    assert _active(lab) == {}
