"""``commsec alerts verify``: alarms exist, notify the topic, and the topic reaches someone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from tests.ops.aws.conftest import AwsLab
from tests.servers.moto_server import put_expected_alarms, set_subscription_pending


@pytest.fixture
def cloudwatch(lab: AwsLab) -> Iterator[object]:
    client = boto3.client("cloudwatch", endpoint_url=lab.moto.url, region_name="us-east-1")
    yield client
    put_expected_alarms(lab.moto.url, lab.outputs)
    set_subscription_pending(lab.stack.subscription_arn, False)


def _verify(lab: AwsLab, capsys) -> tuple[int, dict]:
    code = lab.run("alerts", "verify", "--format", "json")
    return code, json.loads(capsys.readouterr().out)


def test_complete_stack_passes(lab: AwsLab, cloudwatch, capsys) -> None:
    code, doc = _verify(lab, capsys)
    assert code == 0 and doc["ok"] is True
    assert len(doc["result"]["alarms"]) == 12
    assert doc["result"]["subscriptions"]["confirmed"] == ["email:oncall@commsec.example.com"]


def test_missing_alarm_fails_and_is_named(lab: AwsLab, cloudwatch, capsys) -> None:
    cloudwatch.delete_alarms(AlarmNames=["commsec-rds-FreeStorageSpace"])
    code, doc = _verify(lab, capsys)
    assert code == 1
    [bad] = [a for a in doc["result"]["alarms"] if not a["ok"]]
    assert bad["check"] == "rds-FreeStorageSpace"
    assert "no alarm on AWS/RDS FreeStorageSpace" in bad["problem"]


def test_alarm_not_wired_to_the_topic_fails(lab: AwsLab, cloudwatch, capsys) -> None:
    alarm = cloudwatch.describe_alarms(AlarmNames=["commsec-web-alb-HTTPCode_Target_5XX_Count"])[
        "MetricAlarms"
    ][0]
    cloudwatch.put_metric_alarm(
        AlarmName=alarm["AlarmName"],
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm["Dimensions"],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=2,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[],
    )
    code, doc = _verify(lab, capsys)
    assert code == 1
    [bad] = [a for a in doc["result"]["alarms"] if not a["ok"]]
    assert (
        bad["problem"] == "commsec-web-alb-HTTPCode_Target_5XX_Count does not notify commsec-alerts"
    )


def test_unconfirmed_email_subscription_fails_with_a_hint(lab: AwsLab, cloudwatch, capsys):
    set_subscription_pending(lab.stack.subscription_arn, True)
    assert lab.run("alerts", "verify") == 1
    out = capsys.readouterr().out
    assert "only unconfirmed subscription(s) email:oncall@commsec.example.com" in out
    assert "confirmation e-mail" in out
