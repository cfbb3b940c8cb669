"""CloudWatch alarms of the runbook, all wired to an SNS topic that can actually deliver."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from infra.contract import ALERTS_TOPIC_NAME, REQUIRED_ALARMS, WEB_ALB_NAME
from policies.rules._base import (
    MISSING,
    Config,
    Finding,
    dig,
    items,
    number,
    of_type,
    physical_name,
    refers_to,
    resolve,
    stack_policy,
    text,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")

# The runbook's 5XX alarm, exactly.
FIVE_XX = {
    "namespace": "AWS/ApplicationELB",
    "metricName": "HTTPCode_Target_5XX_Count",
    "statistic": "Sum",
    "period": 60,
    "threshold": 100,
    "evaluationPeriods": 2,
    "comparisonOperator": "GreaterThanThreshold",
}
# (namespace, metric) pairs the operating requirements ask an alarm on.
REQUIRED_METRICS = tuple((alarm.namespace, alarm.metric) for alarm in REQUIRED_ALARMS)
CLOUDWATCH = "cloudwatch.amazonaws.com"
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def _metrics(alarm: PolicyResource) -> set[tuple[Any, Any]]:
    """(namespace, metric) pairs an alarm watches, directly or through metric queries."""
    found = {(dig(alarm.props, "namespace"), dig(alarm.props, "metricName"))}
    for query in items(dig(alarm.props, "metricQueries")):
        metric = dig(query, "metric")
        found.add((dig(metric, "namespace"), dig(metric, "metricName")))
    return found


def check_required_alarms(
    resources: Sequence[PolicyResource], _config: Config
) -> Iterable[Finding]:
    watched: set[tuple[Any, Any]] = set()
    for alarm in of_type(resources, ALARM):
        watched |= _metrics(alarm)
    for namespace, metric in REQUIRED_METRICS:
        if (namespace, metric) not in watched:
            yield (f"no alarm watches {namespace} {metric}", None)


def _five_xx_problems(alarm: PolicyResource, web: list[PolicyResource]) -> list[str]:
    problems = [
        f"{key} is {text(dig(alarm.props, key))} (expected {want!r})"
        for key, want in FIVE_XX.items()
        if not _same(dig(alarm.props, key), want)
    ]
    dimension = dig(alarm.props, "dimensions", "LoadBalancer")
    if not any(refers_to(dimension, lb) for lb in web):
        problems.append(f"its LoadBalancer dimension {text(dimension)} is not {WEB_ALB_NAME}")
    return problems


def check_five_xx(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    web = [lb for lb in of_type(resources, *LOAD_BALANCERS) if physical_name(lb) == WEB_ALB_NAME]
    candidates = {
        alarm: _five_xx_problems(alarm, web)
        for alarm in of_type(resources, ALARM)
        if dig(alarm.props, "metricName") == FIVE_XX["metricName"]
    }
    if not candidates:
        yield (f"{WEB_ALB_NAME} has no HTTPCode_Target_5XX_Count alarm", None)
    # One exact alarm on the web ALB satisfies the runbook; others (the app ALB's) may differ.
    if any(not problems for problems in candidates.values()):
        return
    for alarm, problems in candidates.items():
        yield (f"5XX alarm {alarm.name}: {'; '.join(problems)}", alarm.urn)


def _same(value: Any, want: Any) -> bool:
    if isinstance(want, int | float) and not isinstance(want, bool):
        return number(value) == float(want)
    return value == want


def _topics(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    return [t for t in of_type(resources, TOPIC) if physical_name(t) == ALERTS_TOPIC_NAME]


def check_alarm_actions(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    topics = _topics(resources)
    for alarm in of_type(resources, ALARM):
        actions = items(dig(alarm.props, "alarmActions"))
        if not actions:
            yield (f"alarm {alarm.name} has no alarmActions", alarm.urn)
        elif not any(refers_to(action, t) for action in actions for t in topics):
            yield (f"alarm {alarm.name} does not notify {ALERTS_TOPIC_NAME}", alarm.urn)


def _statements(policy: Any) -> list[Any]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    statements = dig(policy, "Statement")
    return items(statements) if not isinstance(statements, dict) else [statements]


def _grants_cloudwatch(key: PolicyResource) -> bool:
    for statement in _statements(dig(key.props, "policy")):
        if dig(statement, "Effect") != "Allow":
            continue
        service = dig(statement, "Principal", "Service")
        services = [service] if isinstance(service, str) else items(service)
        action = dig(statement, "Action")
        actions = [action] if isinstance(action, str) else items(action)
        if CLOUDWATCH in services and all(
            any(a == "kms:*" or str(a).startswith(want) for a in actions) for want in KEY_ACTIONS
        ):
            return True
    return False


def check_topic_key(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    topics = _topics(resources)
    if not topics:
        yield (f"SNS topic {ALERTS_TOPIC_NAME} is missing", None)
    keys = of_type(resources, KMS_KEY)
    aliases = of_type(resources, KMS_ALIAS)
    for topic in topics:
        reference = dig(topic.props, "kmsMasterKeyId")
        if reference is MISSING or reference in ("", "alias/aws/sns"):
            yield (
                f"{ALERTS_TOPIC_NAME} kmsMasterKeyId is {text(reference)}; it needs a customer "
                "key (alarms cannot publish through the AWS-managed SNS key)",
                topic.urn,
            )
            continue
        alias = next((a for a in aliases if refers_to(reference, a)), None)
        if alias is not None:
            reference = dig(alias.props, "targetKeyId")
        key = resolve(reference, keys, topic)
        if key is None:
            yield (
                f"{ALERTS_TOPIC_NAME} key {reference!r} is not a key of this stack, so its "
                "policy cannot be checked",
                topic.urn,
            )
        elif not _grants_cloudwatch(key):
            yield (
                f"key {key.name} of {ALERTS_TOPIC_NAME} does not let {CLOUDWATCH} use "
                "kms:Decrypt and kms:GenerateDataKey*; alarm notifications would fail silently",
                key.urn,
            )


POLICIES = [
    stack_policy(
        name="required-alarms",
        description=(
            "Alarms exist on the ALB (RequestCount, TargetResponseTime, 5XX), the EKS nodes "
            "(CPU, memory) and RDS (connections, read/write latency, free storage)."
        ),
        remediation="Add a CloudWatch metric alarm for each metric named in the message.",
        checks=[check_required_alarms],
    ),
    stack_policy(
        name="alb-5xx-alarm",
        description=(
            "The runbook's 5XX alarm on the web ALB: HTTPCode_Target_5XX_Count Sum > 100 over "
            "60 s for 2 evaluation periods."
        ),
        remediation="Set the alarm's statistic, period, threshold and evaluation periods exactly.",
        checks=[check_five_xx],
    ),
    stack_policy(
        name="alarms-notify-alerts",
        description=f"Every alarm notifies the SNS topic {ALERTS_TOPIC_NAME} (on-call e-mail).",
        remediation=f"Put the {ALERTS_TOPIC_NAME} topic ARN in every alarm's alarmActions.",
        checks=[check_alarm_actions],
    ),
    stack_policy(
        name="alerts-topic-encrypted",
        description=(
            f"{ALERTS_TOPIC_NAME} is encrypted with a customer KMS key whose policy lets "
            "CloudWatch use it; with the AWS-managed SNS key alarm notifications fail silently."
        ),
        remediation=(
            "Create a KMS key granting cloudwatch.amazonaws.com kms:Decrypt and "
            "kms:GenerateDataKey*, and set it as the topic's kmsMasterKeyId."
        ),
        checks=[check_topic_key],
    ),
]
