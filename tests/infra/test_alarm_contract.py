"""The program creates exactly the alarms ``commsec alerts verify`` looks for."""

from __future__ import annotations

from typing import Any

from infra import contract
from ops.aws_alarms import ExpectedAlarm, expected_alarms, matches
from ops.plan.engine import PlanResult, RecordedResource
from tests.infra.requirements import ALARM


def _described(alarm: RecordedResource) -> dict[str, Any]:
    """A planned alarm as ``DescribeAlarms`` would return it once created."""
    return {
        "AlarmName": alarm.inputs["name"],
        "Namespace": alarm.inputs["namespace"],
        "MetricName": alarm.inputs["metricName"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in alarm.inputs["dimensions"].items()],
    }


def _expected(plan: PlanResult) -> list[ExpectedAlarm]:
    return expected_alarms(
        web_alb_arn=plan.outputs["webAlbArn"],
        app_alb_arn=plan.outputs["appAlbArn"],
        cluster_name=plan.outputs["clusterName"],
        db_instance=plan.outputs["dbInstanceIdentifier"],
    )


def test_alerts_verify_expects_one_alarm_per_metric_and_resource() -> None:
    per_alb = len(contract.alarms_per("alb"))
    assert per_alb == 3
    assert len(contract.REQUIRED_ALARMS) == 9
    expected = expected_alarms(
        web_alb_arn="arn:aws:elasticloadbalancing:r:1:loadbalancer/app/w/1",
        app_alb_arn="arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a/2",
        cluster_name="c",
        db_instance="d",
    )
    assert len(expected) == 12
    assert len({e.key for e in expected}) == 12


def test_program_creates_exactly_the_expected_alarms(plan: PlanResult) -> None:
    planned = [_described(a) for a in plan.of_type(ALARM)]
    expected = _expected(plan)
    assert len(planned) == len(expected) == 12
    for want in expected:
        found = [a["AlarmName"] for a in planned if matches(a, want)]
        assert len(found) == 1, f"{want.key}: planned alarms {found}"
    for alarm in planned:
        wanted = [w.key for w in expected if matches(alarm, w)]
        assert len(wanted) == 1, f"{alarm['AlarmName']} is expected as {wanted}"
