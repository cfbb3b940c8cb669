"""The alarms a stack must have, and the check that they exist and reach someone.

Alarms are matched by what they watch (namespace, metric, dimensions), not by name, so a
renamed alarm still counts and an alarm on the wrong load balancer does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.contract import AlarmScope, alarms_per
from ops.alb_metrics import lb_dimension
from ops.errors import aws_errors


@dataclass(frozen=True)
class ExpectedAlarm:
    key: str
    namespace: str
    metric: str
    dimensions: dict[str, str]


# How each check is named in the report: by the resource kind's label and the metric.
_LABELS = {"alb": "alb", "cluster": "eks", "db_instance": "rds"}


def expected_alarms(
    *, web_alb_arn: str, app_alb_arn: str, cluster_name: str, db_instance: str
) -> list[ExpectedAlarm]:
    """One alarm per required metric and resource (see ``infra.contract.REQUIRED_ALARMS``)."""
    resources: list[tuple[str, AlarmScope, str]] = [
        ("web-", "alb", lb_dimension(web_alb_arn)),
        ("app-", "alb", lb_dimension(app_alb_arn)),
        ("", "cluster", cluster_name),
        ("", "db_instance", db_instance),
    ]
    return [
        ExpectedAlarm(
            f"{prefix}{_LABELS[per]}-{alarm.metric}",
            alarm.namespace,
            alarm.metric,
            {alarm.dimension: value},
        )
        for prefix, per, value in resources
        for alarm in alarms_per(per)
    ]


def matches(alarm: dict[str, Any], expected: ExpectedAlarm) -> bool:
    """Whether a ``DescribeAlarms`` record watches what ``expected`` asks for."""
    dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    return (
        alarm.get("Namespace") == expected.namespace
        and alarm.get("MetricName") == expected.metric
        and all(dims.get(k) == v for k, v in expected.dimensions.items())
    )


def check_alarms(cloudwatch: Any, expected: list[ExpectedAlarm], topic_arn: str) -> list[dict]:
    """One row per expected alarm: found (its name), wired to the topic, and the problem."""
    with aws_errors("listing the CloudWatch alarms"):
        alarms = [
            alarm
            for page in cloudwatch.get_paginator("describe_alarms").paginate(
                AlarmTypes=["MetricAlarm"]
            )
            for alarm in page["MetricAlarms"]
        ]
    rows = []
    for want in expected:
        found = [a for a in alarms if matches(a, want)]
        wired = [a for a in found if topic_arn in a.get("AlarmActions", [])]
        if not found:
            problem = f"no alarm on {want.namespace} {want.metric} {want.dimensions}"
        elif not wired:
            problem = f"{found[0]['AlarmName']} does not notify {topic_arn.rsplit(':', 1)[-1]}"
        else:
            problem = None
        rows.append(
            {
                "check": want.key,
                "alarm": (wired or found or [{}])[0].get("AlarmName"),
                "state": (wired or found or [{}])[0].get("StateValue"),
                "ok": problem is None,
                "problem": problem,
            }
        )
    return rows


def check_subscriptions(sns: Any, topic_arn: str) -> dict[str, Any]:
    """Whether the topic has at least one confirmed subscription, and which are pending."""
    with aws_errors(f"listing the subscriptions of {topic_arn}"):
        subscriptions = [
            sub
            for page in sns.get_paginator("list_subscriptions_by_topic").paginate(
                TopicArn=topic_arn
            )
            for sub in page["Subscriptions"]
        ]
        confirmed, pending = [], []
        for sub in subscriptions:
            arn = sub["SubscriptionArn"]
            if arn in ("PendingConfirmation", "Deleted"):
                pending.append(sub)
                continue
            attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            if str(attributes.get("PendingConfirmation", "false")).lower() == "true":
                pending.append(sub)
            else:
                confirmed.append(sub)
    return {
        "confirmed": [f"{s['Protocol']}:{s['Endpoint']}" for s in confirmed],
        "pending": [f"{s['Protocol']}:{s['Endpoint']}" for s in pending],
    }
