"""SNS topic ``commsec-alerts``, the CloudWatch alarms and the operations dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.contract import (
    ALERTS_TOPIC_NAME,
    CLUSTER_NAME,
    DB_INSTANCE_IDENTIFIER,
    AlarmScope,
    RequiredAlarm,
    alarms_per,
    required_alarm,
)
from infra.security import kms_key
from infra.settings import Settings
from infra.tags import tags


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: what it watches and when it fires."""

    key: str
    watches: RequiredAlarm
    statistic: str
    threshold: float
    comparison: str = "GreaterThanThreshold"
    period: int = 60
    evaluation_periods: int = 2
    description: str = ""


ALB_ALARMS = (
    # The runbook's alarm, exactly: more than 100 target 5XXs in 60 s for two periods.
    AlarmSpec(
        "5xx",
        required_alarm("HTTPCode_Target_5XX_Count"),
        "Sum",
        100,
        description="High 5XX error rate on the ALB targets",
    ),
    AlarmSpec(
        "latency",
        required_alarm("TargetResponseTime"),
        "Average",
        1.0,
        evaluation_periods=3,
        description="Targets answer slower than 1 s on average",
    ),
    # Three times the usual market-open peak; beyond it the reservation is outgrown.
    AlarmSpec(
        "requests",
        required_alarm("RequestCount"),
        "Sum",
        150000,
        evaluation_periods=3,
        description="Request rate above the planned open spike",
    ),
)
NODE_ALARMS = (
    AlarmSpec(
        "node-cpu",
        required_alarm("node_cpu_utilization"),
        "Average",
        80,
        period=300,
        description="EKS node CPU above 80%",
    ),
    AlarmSpec(
        "node-memory",
        required_alarm("node_memory_utilization"),
        "Average",
        80,
        period=300,
        description="EKS node memory above 80%",
    ),
)
DB_ALARMS = (
    AlarmSpec(
        "db-connections",
        required_alarm("DatabaseConnections"),
        "Average",
        400,
        period=300,
        description="PostgreSQL connections near max_connections",
    ),
    AlarmSpec(
        "db-read-latency",
        required_alarm("ReadLatency"),
        "Average",
        0.02,
        period=300,
        description="Read latency above 20 ms",
    ),
    AlarmSpec(
        "db-write-latency",
        required_alarm("WriteLatency"),
        "Average",
        0.02,
        period=300,
        description="Write latency above 20 ms",
    ),
    AlarmSpec(
        "db-free-storage",
        required_alarm("FreeStorageSpace"),
        "Minimum",
        10 * 1024**3,
        comparison="LessThanThreshold",
        period=300,
        description="Less than 10 GiB of storage left",
    ),
)


@dataclass
class MonitoringArgs:
    settings: Settings
    # ALB label ("web", "app") -> the ALB's ARN suffix, the CloudWatch dimension.
    alb_arn_suffixes: dict[str, pulumi.Input[str]]


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:monitoring:Monitoring", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self._prefix = name
        self.key = kms_key(
            f"{name}-alerts-key",
            f"{ALERTS_TOPIC_NAME} encryption, usable by CloudWatch alarms",
            s,
            self,
            policy=aws.get_caller_identity_output().account_id.apply(_alerts_key_policy),
        )
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=ALERTS_TOPIC_NAME,
            kms_master_key_id=self.key.id,
            tags=tags(s, ALERTS_TOPIC_NAME),
            opts=child,
        )
        aws.sns.TopicSubscription(
            f"{name}-alerts-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=s.alert_email,
            opts=child,
        )

        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for label, suffix in args.alb_arn_suffixes.items():
            for spec in ALB_ALARMS:
                self._alarm(f"{label}-alb-{spec.key}", spec, suffix, s)
        for spec in NODE_ALARMS:
            self._alarm(spec.key, spec, CLUSTER_NAME, s)
        for spec in DB_ALARMS:
            self._alarm(spec.key, spec, DB_INSTANCE_IDENTIFIER, s)

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"commsec-{s.environment}",
            dashboard_body=pulumi.Output.from_input(args.alb_arn_suffixes).apply(
                lambda suffixes: _dashboard(s.region, suffixes)
            ),
            opts=child,
        )
        self.topic_arn = self.topic.arn
        self.register_outputs({"topicArn": self.topic_arn, "alarms": sorted(self.alarms)})

    def outcome_alarm_arn(self, label: str) -> pulumi.Output[str]:
        """The alarm ARC watches while it practises a shift of the ``label`` ALB."""
        return self.alarms[f"{label}-alb-5xx"].arn

    def _alarm(self, key: str, spec: AlarmSpec, resource: pulumi.Input[str], s: Settings) -> None:
        alarm_name = f"commsec-{s.environment}-{key}"
        self.alarms[key] = aws.cloudwatch.MetricAlarm(
            f"{self._prefix}-{key}",
            name=alarm_name,
            alarm_description=spec.description,
            namespace=spec.watches.namespace,
            metric_name=spec.watches.metric,
            statistic=spec.statistic,
            period=spec.period,
            evaluation_periods=spec.evaluation_periods,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            dimensions={spec.watches.dimension: resource},
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=tags(s, alarm_name),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _alerts_key_policy(account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # Alarms publish to an encrypted topic only if CloudWatch may use the key.
                    "Sid": "CloudWatchPublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
            ],
        }
    )


def _dashboard(region: str, suffixes: dict[str, str]) -> str:
    def widget(title: str, metrics: list[list[object]], x: int, y: int) -> dict[str, object]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "metrics": metrics, "period": 60},
        }

    def lines(per: AlarmScope, resource: str) -> list[list[object]]:
        return [[a.namespace, a.metric, a.dimension, resource] for a in alarms_per(per)]

    alb = [line for suffix in suffixes.values() for line in lines("alb", suffix)]
    nodes = lines("cluster", CLUSTER_NAME)
    database = lines("db_instance", DB_INSTANCE_IDENTIFIER)
    return json.dumps(
        {
            "widgets": [
                widget("ALB", alb, 0, 0),
                widget("EKS nodes", nodes, 12, 0),
                widget("RDS", database, 0, 6),
            ]
        }
    )
