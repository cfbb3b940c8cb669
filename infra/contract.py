"""The stack-outputs contract shared by the Pulumi program and the ``commsec`` CLI.

Every stack exports exactly these outputs (camelCase, as ``pulumi stack output --json``
prints them). The program exports them through :data:`OUTPUTS`; ``ops`` validates a
stack's outputs against the same table, so a renamed export breaks both sides at once.

This module is deliberately free of Pulumi imports: the on-call CLI imports it on every
command and must not pay for the Pulumi SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OutputKind = Literal["str", "int", "str_list", "secret_str"]


@dataclass(frozen=True)
class OutputSpec:
    """One exported stack output: its name, its JSON shape and what it means."""

    name: str
    kind: OutputKind
    description: str


OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("region", "str", "AWS region of the stack, e.g. us-east-1"),
    OutputSpec("availabilityZones", "str_list", "the three AZ names, in subnet order"),
    OutputSpec("availabilityZoneIds", "str_list", "the AZ ids of the same zones, same order"),
    OutputSpec("vpcId", "str", "id of the platform VPC"),
    OutputSpec("clusterName", "str", "EKS cluster name"),
    OutputSpec("kubeconfig", "secret_str", "kubeconfig of the cluster as a JSON/YAML string"),
    OutputSpec("webNodeGroupName", "str", "EKS managed node group of the web tier"),
    OutputSpec("appNodeGroupName", "str", "EKS managed node group of the app tier"),
    OutputSpec("webAlbArn", "str", "ARN of the internet-facing web ALB"),
    OutputSpec("webAlbDnsName", "str", "DNS name of the web ALB"),
    OutputSpec("webTargetGroupArns", "str_list", "target groups behind the web ALB"),
    OutputSpec("appAlbArn", "str", "ARN of the internal app ALB"),
    OutputSpec("appAlbDnsName", "str", "DNS name of the app ALB"),
    OutputSpec("appTargetGroupArns", "str_list", "target groups behind the app ALB"),
    OutputSpec("cloudfrontDistributionId", "str", "CloudFront distribution before the web ALB"),
    OutputSpec("cloudfrontDomainName", "str", "domain name of that distribution"),
    OutputSpec("dbInstanceIdentifier", "str", "RDS instance identifier"),
    OutputSpec("dbEndpoint", "str", "RDS endpoint host name (no port)"),
    OutputSpec("dbPort", "int", "RDS port"),
    OutputSpec("dbName", "str", "name of the application database"),
    OutputSpec("dbMasterUserSecretArn", "str", "RDS-managed master-user secret"),
    OutputSpec("alertsTopicArn", "str", "SNS topic every alarm notifies"),
    OutputSpec("backupBucketName", "str", "S3 bucket for Kubernetes exports and manual artefacts"),
    OutputSpec("backupKmsKeyArn", "str", "KMS key that encrypts the backup bucket"),
    OutputSpec("namespace", "str", "Kubernetes namespace of the workloads"),
)

OUTPUT_NAMES: frozenset[str] = frozenset(spec.name for spec in OUTPUTS)

# Fixed names from the operating requirements; the program creates them and the CLI,
# the policy pack and the tests refer to them by these constants.
CLUSTER_NAME = "commsec-cluster"
WEB_NODE_GROUP = "web-tier-nodes"
APP_NODE_GROUP = "app-tier-nodes"
WEB_ALB_NAME = "commsec-web-alb"
APP_ALB_NAME = "commsec-app-alb"
DB_INSTANCE_IDENTIFIER = "commsec-postgres"
DB_NAME = "commsec"
DB_MASTER_USERNAME = "commsec_admin"
ALERTS_TOPIC_NAME = "commsec-alerts"
NAMESPACE = "commsec"
DEPLOYMENTS = ("frontend", "api-gateway", "trading-service")
HPAS = {
    "frontend-hpa": "frontend",
    "trading-service-hpa": "trading-service",
    "api-gateway-hpa": "api-gateway",
}
NODE_GROUP_MIN_FLOOR = 3
# Amazon EKS User Guide, "Amazon EKS service quotas": nodes per managed node group, 450.
NODE_GROUP_SIZE_QUOTA = 450
# The fewest replicas a platform workload runs with (one pod is never the designed state).
WORKLOAD_REPLICA_FLOOR = 2
NODE_GROUP_MAX_FLOOR = 10
BACKUP_RETENTION_DAYS = 35

# The alarms the operating requirements ask for. ``per`` says which resource carries one
# copy: every ALB (web and app), the EKS cluster, or the RDS instance. The program creates
# them, the policy pack requires them and ``commsec alerts verify`` looks for them, all from
# this one table.
AlarmScope = Literal["alb", "cluster", "db_instance"]


@dataclass(frozen=True)
class RequiredAlarm:
    """A metric that must have an alarm, and the dimension that ties it to its resource."""

    namespace: str
    metric: str
    dimension: str
    per: AlarmScope


REQUIRED_ALARMS: tuple[RequiredAlarm, ...] = (
    RequiredAlarm("AWS/ApplicationELB", "RequestCount", "LoadBalancer", "alb"),
    RequiredAlarm("AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", "alb"),
    RequiredAlarm("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", "alb"),
    RequiredAlarm("ContainerInsights", "node_cpu_utilization", "ClusterName", "cluster"),
    RequiredAlarm("ContainerInsights", "node_memory_utilization", "ClusterName", "cluster"),
    RequiredAlarm("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "db_instance"),
    RequiredAlarm("AWS/RDS", "ReadLatency", "DBInstanceIdentifier", "db_instance"),
    RequiredAlarm("AWS/RDS", "WriteLatency", "DBInstanceIdentifier", "db_instance"),
    RequiredAlarm("AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "db_instance"),
)


def required_alarm(metric: str) -> RequiredAlarm:
    """The entry of :data:`REQUIRED_ALARMS` for ``metric``."""
    for alarm in REQUIRED_ALARMS:
        if alarm.metric == metric:
            return alarm
    raise KeyError(f"{metric} is not a required alarm metric")


def alarms_per(per: AlarmScope) -> tuple[RequiredAlarm, ...]:
    """The required alarms one resource of kind ``per`` carries, in table order."""
    return tuple(alarm for alarm in REQUIRED_ALARMS if alarm.per == per)
