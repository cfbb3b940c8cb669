"""Injected faults: each command ends with the right message and exit code, retries are
bounded, and a half-done change says exactly what was done."""

from __future__ import annotations

import json

import pytest

from tests.ops.aws.conftest import AwsLab
from tests.servers.local_http import free_port


def _active(lab: AwsLab) -> set[str]:
    return {s.resource for s in lab.arc.emulator.state.shifts if s.status == "ACTIVE"}


def test_throttled_web_alb_is_a_named_partial_failure(lab: AwsLab, capsys) -> None:
    web = lab.outputs["webAlbArn"]
    lab.arc_proxy.arm("throttle", match=web)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    out = capsys.readouterr().out
    assert "web ALB: failed: StartZonalShift on the web ALB was throttled" in out
    assert "PARTIAL: shifted app; NOT shifted web" in out
    assert _active(lab) == {lab.outputs["appAlbArn"]}
    assert lab.arc_proxy.count(web) == 2  # AWS_MAX_ATTEMPTS, not an endless retry loop
    [record] = lab.audit()
    assert record["result"] == "partial"
    assert record["details"]["web"]["action"] == "failed"


def test_one_throttle_is_retried_and_succeeds(lab: AwsLab, capsys) -> None:
    lab.arc_proxy.arm("throttle", match=lab.outputs["webAlbArn"], times=1)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 0
    assert len(_active(lab)) == 2
    assert lab.arc_proxy.count(lab.outputs["webAlbArn"]) == 2


def test_server_errors_on_both_albs_change_nothing(lab: AwsLab, capsys) -> None:
    lab.arc_proxy.arm("5xx", match="POST /zonalshifts")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "Error: no zonal shift was started: web ALB: StartZonalShift on the "
        "web ALB failed on the AWS side"
    )
    assert "\n" not in err and "Traceback" not in err
    assert lab.arc_proxy.count("POST /zonalshifts") == 4
    assert _active(lab) == set()
    assert lab.audit()[0]["result"] == "failed"


def test_slow_arc_times_out(lab: AwsLab, capsys) -> None:
    lab.arc_proxy.arm("slow", match="POST /zonalshifts", delay_s=2.5)
    assert lab.run("shift", "start", "--az", "us-east-1a", "--lb", "web", "--yes") == 1
    err = capsys.readouterr().err
    assert "timed out waiting for AWS" in err
    assert lab.arc_proxy.count("POST /zonalshifts") == 2


def test_dropped_connection_is_retryable_and_bounded(lab: AwsLab, capsys) -> None:
    lab.moto_proxy.arm("drop", match="node-groups/web-tier-nodes")
    assert lab.run("scale", "nodegroup", "web", "--desired", "5", "--yes") == 1
    err = capsys.readouterr().err
    assert "could not reach the AWS endpoint" in err
    assert lab.moto_proxy.count("node-groups/web-tier-nodes") == 2


def test_throttled_rds_query_api_is_exit_1(lab: AwsLab, capsys) -> None:
    lab.moto_proxy.arm("throttle", match="Action=DescribeDBInstances")
    assert lab.run("db", "failover", "--yes") == 1
    err = capsys.readouterr().err
    assert "DescribeDBInstances commsec-postgres was throttled by AWS (Throttling)" in err
    assert lab.moto_proxy.count("Action=DescribeDBInstances") == 2
    assert lab.moto_proxy.count("Action=RebootDBInstance") == 0


def test_unreachable_arc_endpoint(lab: AwsLab, capsys, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT", f"http://127.0.0.1:{free_port()}")
    assert lab.run("shift", "status") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: listing the zonal shifts of the web ALB could not reach")


def test_unavailable_sts_still_writes_the_audit_record(lab: AwsLab, capsys) -> None:
    lab.moto_proxy.arm("5xx", match="Action=GetCallerIdentity")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 0
    [record] = lab.audit()
    assert "STS identity unavailable" in record["operator"]
    assert record["result"] == "succeeded"


def test_throttled_alarm_listing_fails_cleanly(lab: AwsLab, capsys) -> None:
    lab.moto_proxy.arm("throttle", match="DescribeAlarms")
    assert lab.run("alerts", "verify") == 1
    assert "listing the CloudWatch alarms was throttled" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "is not valid JSON"),
        (json.dumps({"region": "us-east-1"}), "lacks the output(s) availabilityZones"),
    ],
)
def test_missing_or_malformed_outputs_file(lab: AwsLab, capsys, tmp_path, content, message):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    from ops import cli

    code = cli.main(["shift", "start", "--az", "us-east-1a", "--yes", "--outputs", str(path)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and message in err and "\n" not in err


def test_failed_roll_back_says_what_is_still_shifted(lab: AwsLab, capsys) -> None:
    lab.existing_shift("app", "us-east-1c", comment="earlier")
    lab.arc_proxy.arm("5xx", match="DELETE /zonalshifts")
    assert lab.run("shift", "start", "--az", "us-east-1a", "--yes") == 1
    out = capsys.readouterr().out
    assert "web ALB: started, roll-back failed: CancelZonalShift on the web ALB failed" in out
    assert "WARNING: the web ALB is still shifted away from us-east-1a" in out
    assert len(_active(lab)) == 2
    assert lab.audit()[0]["result"] == "refused, roll-back failed"
