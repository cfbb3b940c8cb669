"""``commsec shift start|status|cancel|assess`` against moto and the ARC emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.ops.aws.conftest import AwsLab


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def _active(lab: AwsLab) -> list:
    return [s for s in lab.arc.emulator.state.shifts if s.status == "ACTIVE"]


def test_start_shifts_both_albs_with_the_az_id(lab: AwsLab, capsys) -> None:
    az_id = lab.stack.az_ids["us-east-1a"]
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes", "--format", "json") == 0
    doc = _json(capsys)
    assert doc["result"]["awayFrom"] == {"name": "us-east-1a", "id": az_id}
    assert {s.resource for s in _active(lab)} == {
        lab.outputs["webAlbArn"],
        lab.outputs["appAlbArn"],
    }
    assert {s.away_from for s in _active(lab)} == {az_id}
    # the minimum: two StartZonalShift calls and nothing else on ARC
    assert lab.arc.emulator.calls_of("POST /zonalshifts") == 2
    assert len(lab.arc.emulator.state.calls) == 2
    [record] = lab.audit()
    assert record["result"] == "succeeded"
    assert record["operator"].startswith("arn:aws:sts::")
    assert record["target"]["awayFrom"] == az_id
    assert doc["audit"] == record


def test_start_accepts_an_az_id_and_one_lb(lab: AwsLab, capsys) -> None:
    az_id = lab.stack.az_ids["us-east-1b"]
    assert lab.run("shift", "start", "--az", az_id, "--lb", "web", "--yes") == 0
    assert [s.resource for s in _active(lab)] == [lab.outputs["webAlbArn"]]
    assert "us-east-1b" in capsys.readouterr().out


def test_rerun_updates_instead_of_duplicating(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 0
    first = {s.zonal_shift_id: s.expiry for s in _active(lab)}
    assert lab.run("shift", "start", "--az", "us-east-1a", "--duration", "3h", "--yes") == 0
    out = capsys.readouterr().out
    assert out.count("updated shift") == 2
    second = {s.zonal_shift_id: s.expiry for s in _active(lab)}
    assert set(second) == set(first)
    assert all(second[k] - first[k] > 7000 for k in first)
    assert [r["details"]["web"]["action"] for r in lab.audit()] == ["started", "updated"]


def test_second_az_is_refused(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 0
    capsys.readouterr()
    assert lab.run("shift", "start", "--az", "us-east-1b", "--yes") == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: no zonal shift was started")
    assert "refusing to shift a second AZ" in err
    assert {s.away_from for s in _active(lab)} == {lab.stack.az_ids["us-east-1a"]}


def test_second_az_on_the_other_lb_is_refused_before_any_start(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a", "--lb", "web", "--yes") == 0
    assert lab.run("shift", "start", "--az", "us-east-1c", "--lb", "app", "--yes") == 1
    assert "web ALB is shifted away from" in capsys.readouterr().err
    assert len(_active(lab)) == 1
    assert lab.audit()[-1]["result"].startswith("refused: the web ALB is shifted away")


def test_partial_conflict_rolls_back_the_new_shift(lab: AwsLab, capsys) -> None:
    lab.existing_shift("app", "us-east-1c", comment="earlier")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    captured = capsys.readouterr()
    assert "web ALB: rolled back" in captured.out
    assert "app ALB: failed" in captured.out
    [active] = _active(lab)
    assert active.comment == "earlier"
    assert "no second AZ is drained" in captured.out
    assert lab.audit()[0]["result"] == "refused, rolled back"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--az", "us-east-1d"], "--az us-east-1d is not one of the AZs"),
        (["--az", "use1-az99"], "--az use1-az99 is not one of the AZs"),
        (["--az", "us-east-1a", "--duration", "73h"], "longer than ARC's limit of 72h"),
        (["--az", "us-east-1a", "--duration", "4321m"], "longer than ARC's limit of 72h"),
        (["--az", "us-east-1a", "--duration", "1d"], "not a whole number of minutes or hours"),
        (["--az", "us-east-1a", "--duration", "0h"], "not a whole number of minutes or hours"),
        (["--az", "us-east-1a", "--lb", "db"], "invalid choice: 'db'"),
    ],
)
def test_bad_input_is_a_one_line_exit_2(lab: AwsLab, capsys, argv, message) -> None:
    assert lab.run("shift", "start", *argv, "--yes") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and message in err[0]
    assert lab.arc.emulator.state.calls == []


def test_dry_run_shows_the_calls_and_changes_nothing(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a", "--dry-run", "--format", "json") == 0
    calls = _json(capsys)["result"]["calls"]
    assert [c["resourceIdentifier"] for c in calls] == [
        lab.outputs["webAlbArn"],
        lab.outputs["appAlbArn"],
    ]
    assert {c["awayFrom"] for c in calls} == {lab.stack.az_ids["us-east-1a"]}
    assert lab.arc.emulator.state.calls == [] and lab.audit() == []


def test_refuses_without_confirmation_when_not_interactive(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a") == 2
    assert "without confirmation" in capsys.readouterr().err
    assert _active(lab) == []


def test_status_lists_every_page_with_types_and_time_left(lab: AwsLab, capsys) -> None:
    arc = lab.arc.emulator
    az = lab.stack.az_ids["us-east-1b"]
    app = lab.outputs["appAlbArn"]
    for tier in ("web", "app"):
        ended = lab.existing_shift(tier, "us-east-1b", expires_in="2h")
        arc.cancel_zonal_shift(ended["zonalShiftId"])
    lab.existing_shift("web", "us-east-1b", expires_in="90m", comment="now")
    arc.state.resources[app].practice = {
        "outcomeAlarms": [{"type": "CLOUDWATCH", "alarmIdentifier": "a"}]
    }
    arc.start_practice_run({"resourceIdentifier": app, "awayFrom": az, "comment": "practice"})
    arc.start_autoshift(app, az)
    assert lab.run("shift", "status", "--format", "json") == 0
    rows = _json(capsys)["result"]["shifts"]
    assert sorted((r["lb"], r["type"]) for r in rows) == [
        ("app", "autoshift"),
        ("app", "practice run"),
        ("web", "operator"),
    ]
    web_row = next(r for r in rows if r["lb"] == "web")
    assert web_row["azName"] == "us-east-1b" and web_row["timeLeft"] in ("1h30m", "1h29m")
    assert lab.run("shift", "status", "--all", "--format", "json") == 0
    rows = _json(capsys)["result"]["shifts"]
    assert sum(r["status"] == "CANCELED" for r in rows) == 2


def test_cancel_cancels_every_active_shift_not_just_the_first(lab: AwsLab, capsys) -> None:
    web = lab.outputs["webAlbArn"]
    # ARC allows one active shift per resource; older data can still hold more than one
    # (e.g. a shift started by another tool before a conflict check), so force two: the
    # first is parked on another resource while the second is started, then moved back.
    lab.existing_shift("web", "us-east-1a")
    lab.arc.emulator.state.shifts[-1].resource = "parked"
    lab.existing_shift("web", "us-east-1b")
    lab.arc.emulator.state.shifts[0].resource = web
    assert lab.run("shift", "cancel", "--yes") == 0
    out = capsys.readouterr().out
    assert out.count("web ALB: cancelled") == 2
    assert "app ALB: no active operator zonal shift; nothing to cancel" in out
    assert _active(lab) == []
    assert lab.audit()[0]["result"] == "succeeded"


def test_cancel_with_nothing_active_is_a_clear_no_op(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "cancel", "--yes", "--format", "json") == 0
    doc = _json(capsys)
    assert doc["result"]["unchanged"] == ["web", "app"]
    assert lab.audit() == []


def _put_zone_metrics(
    lab: AwsLab, az: str, *, requests: float, errors: float, late_errors: float | None = None
) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=lab.moto.url, region_name="us-east-1")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for tier in ("web", "app"):
        lb = lab.outputs[f"{tier}AlbArn"].split(":loadbalancer/")[1]
        dims = [{"Name": "LoadBalancer", "Value": lb}, {"Name": "AvailabilityZone", "Value": az}]
        data = []
        for minute in range(1, 9):
            stamp = now - timedelta(minutes=minute)
            errs = late_errors if late_errors is not None and minute <= 4 else errors
            data += [
                {
                    "MetricName": "RequestCount",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": requests,
                },
                {
                    "MetricName": "HTTPCode_Target_5XX_Count",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": errs,
                },
                {
                    "MetricName": "TargetResponseTime",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": 0.05,
                },
            ]
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


def test_assess_recommends_and_applies_a_shift(lab: AwsLab, capsys) -> None:
    _put_zone_metrics(lab, "us-east-1b", requests=1000, errors=80)
    _put_zone_metrics(lab, "us-east-1c", requests=1000, errors=1)
    assert lab.run("shift", "assess", "--format", "json") == 0
    rec = _json(capsys)["result"]["recommendation"]
    assert rec["action"] == "shift now" and rec["az"] == "us-east-1b"
    assert "8.0% of" in rec["reason"]
    assert _active(lab) == []
    assert lab.run("shift", "assess", "--apply", "--yes") == 0
    assert {s.away_from for s in _active(lab)} == {lab.stack.az_ids["us-east-1b"]}
    assert "Recommendation: SHIFT NOW" in capsys.readouterr().out


def _assess(lab: AwsLab, capsys) -> dict:
    assert lab.run("shift", "assess", "--format", "json") == 0
    return _json(capsys)["result"]


def test_assess_below_five_percent_is_watch_unless_health_or_worsening(lab: AwsLab, capsys):
    # A fresh pair of AZs per case would need a fresh moto; the window only sees the last
    # minutes, so each case writes into its own AZ of the same metrics store instead.
    _put_zone_metrics(lab, "us-east-1a", requests=1000, errors=30)
    _put_zone_metrics(lab, "us-east-1b", requests=1000, errors=2)
    _put_zone_metrics(lab, "us-east-1c", requests=1000, errors=2)
    result = _assess(lab, capsys)
    assert result["recommendation"]["action"] == "watch"
    assert result["health"] == {"available": True, "reason": None, "events": []}

    lab.moto_proxy.clear()
    lab.moto_proxy.route(
        match="AWSHealth_20160804.DescribeEvents",
        payload={
            "events": [
                {
                    "service": "EC2",
                    "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
                    "availabilityZone": "us-east-1a",
                    "startTime": 1.0,
                }
            ]
        },
    )
    result = _assess(lab, capsys)
    assert result["recommendation"]["action"] == "shift now"
    assert "AWS Health event in us-east-1a" in result["recommendation"]["reason"]


def test_assess_worsening_trend_means_shift_now(lab: AwsLab, capsys) -> None:
    _put_zone_metrics(lab, "us-east-1c", requests=1000, errors=10, late_errors=45)
    _put_zone_metrics(lab, "us-east-1a", requests=1000, errors=1)
    _put_zone_metrics(lab, "us-east-1b", requests=1000, errors=1)
    rec = _assess(lab, capsys)["recommendation"]
    assert rec["action"] == "shift now" and rec["az"] == "us-east-1c"
    assert "worsening" in rec["reason"]


def test_assess_without_health_api_says_unavailable(lab: AwsLab, capsys) -> None:
    lab.moto_proxy.clear()
    lab.moto_proxy.route(
        match="AWSHealth_20160804.DescribeEvents",
        status=400,
        payload={"__type": "SubscriptionRequiredException", "message": "no support plan"},
    )
    result = _assess(lab, capsys)
    assert result["health"]["available"] is False
    assert "SubscriptionRequiredException" in result["health"]["reason"]


def test_az_an_alb_is_not_in_is_refused_by_arc_and_named(lab: AwsLab, capsys) -> None:
    web = lab.arc.emulator.state.resources[lab.outputs["webAlbArn"]]
    zones = web.az_ids
    web.az_ids = zones[:2]
    try:
        assert lab.run("shift", "start", "--az", "us-east-1c", "--yes") == 1
    finally:
        web.az_ids = zones
    out = capsys.readouterr().out
    assert (
        "web ALB: failed: StartZonalShift on the web ALB was rejected (ValidationException: "
        "resource commsec-web-alb is not in" in out
    )
    assert "PARTIAL: shifted app; NOT shifted web" in out
