"""Each policy catches the smallest edit of the real prod plan that breaks its requirement."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.policies.conftest import find, resources_of, violations_of

Inputs = dict[str, Any]


def set_path(*path: str | int, value: Any) -> Callable[[Inputs], None]:
    def edit(inputs: Inputs) -> None:
        target: Any = inputs
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def drop(*path: str | int) -> Callable[[Inputs], None]:
    def edit(inputs: Inputs) -> None:
        target: Any = inputs
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


def edit_json(key: str, change: Callable[[Any], None]) -> Callable[[Inputs], None]:
    """Edit a property that holds a JSON document (an IAM or KMS policy)."""

    def edit(inputs: Inputs) -> None:
        document = json.loads(inputs[key])
        change(document)
        inputs[key] = json.dumps(document)

    return edit


@dataclass(frozen=True)
class Mutation:
    policy: str
    resource: str
    edit: Callable[[Inputs], None]
    expected: str

    def __str__(self) -> str:
        return f"{self.policy}:{self.resource}:{self.expected[:30]}"


DB = "commsec-db-instance"
WEB_ALB = "commsec-web-alb"
FRONTEND = "commsec-workloads-frontend"
CONTAINER = ("spec", "template", "spec", "containers", 0)

MUTATIONS = [
    # --- network -------------------------------------------------------------------------
    Mutation(
        "subnets-three-azs",
        "commsec-private-c",
        set_path("availabilityZone", value="us-east-1a"),
        "private subnets cover 2 Availability Zone(s)",
    ),
    Mutation(
        "subnets-three-azs",
        "commsec-database-b",
        set_path("tags", "tier", value="private"),
        "database subnets cover 2 Availability Zone(s)",
    ),
    Mutation(
        "nat-gateway-per-az",
        "commsec-nat-c",
        set_path("subnetId", value="subnet-ce4f4bcdb85a47921"),
        "3 NAT gateway(s) in 2 distinct place(s)",
    ),
    Mutation(
        "resources-span-three-azs",
        "commsec-db-subnets",
        set_path("subnetIds", value=["subnet-1de48b4a29c32c2bc", "subnet-68c8f694506816ac5"]),
        "commsec-db-subnets spans 2 Availability Zone(s) through subnetIds",
    ),
    Mutation(
        "resources-span-three-azs",
        WEB_ALB,
        set_path("subnets", value=["subnet-ce4f4bcdb85a47921"]),
        "commsec-web-alb spans 1",
    ),
    Mutation(
        "resources-span-three-azs",
        "commsec-app-nodes",
        set_path("subnetIds", value=["subnet-7882c0fc2c26b858b", "subnet-7882c0fc2c26b858b"]),
        "commsec-app-nodes spans 1",
    ),
    # --- RDS -----------------------------------------------------------------------------
    Mutation(
        "rds-postgres-16",
        DB,
        set_path("engineVersion", value="15.7"),
        "engineVersion is '15.7'; it must be PostgreSQL 16",
    ),
    Mutation("rds-postgres-16", DB, set_path("engine", value="mysql"), "engine is 'mysql'"),
    Mutation("rds-multi-az", DB, set_path("multiAz", value=False), "multiAz is False"),
    Mutation(
        "rds-multi-az",
        DB,
        set_path("availabilityZone", value="us-east-1a"),
        "availabilityZone is pinned to 'us-east-1a'",
    ),
    Mutation(
        "rds-backup-retention",
        DB,
        set_path("backupRetentionPeriod", value=7),
        "backupRetentionPeriod is 7; automated backups must be kept at least 35 days",
    ),
    Mutation(
        "rds-backup-retention",
        DB,
        drop("backupRetentionPeriod"),
        "backupRetentionPeriod is not set",
    ),
    Mutation(
        "rds-backup-retention",
        DB,
        drop("deleteAutomatedBackups"),
        "deleteAutomatedBackups is not set; it must be false",
    ),
    Mutation(
        "rds-windows-off-peak",
        DB,
        set_path("backupWindow", value="03:00-04:00"),
        "backupWindow Mon 03:00-Mon 04:00 UTC falls in the Sydney busy period",
    ),
    Mutation("rds-windows-off-peak", DB, drop("maintenanceWindow"), "maintenanceWindow is not set"),
    Mutation(
        "rds-windows-off-peak",
        DB,
        set_path("maintenanceWindow", value="sun:13:30-sun:14:30"),
        "overlaps maintenanceWindow sun:13:30-sun:14:30",
    ),
    Mutation(
        "rds-windows-off-peak",
        DB,
        set_path("backupWindow", value="3am"),
        "'3am' is not a daily window",
    ),
    Mutation(
        "rds-encrypted-cmk",
        DB,
        set_path("storageEncrypted", value=False),
        "storageEncrypted is False",
    ),
    Mutation("rds-encrypted-cmk", DB, drop("kmsKeyId"), "kmsKeyId is not set"),
    Mutation(
        "rds-not-public",
        DB,
        set_path("publiclyAccessible", value=True),
        "publiclyAccessible is true",
    ),
    Mutation(
        "rds-deletion-protection",
        DB,
        set_path("deletionProtection", value=False),
        "deletionProtection is False; it must be true",
    ),
    Mutation(
        "rds-deletion-protection",
        DB,
        set_path("skipFinalSnapshot", value=True),
        "skipFinalSnapshot must be false",
    ),
    Mutation(
        "rds-managed-password",
        DB,
        set_path("password", value="hunter2hunter2"),
        "sets a literal master password",
    ),
    Mutation(
        "rds-managed-password",
        DB,
        drop("manageMasterUserPassword"),
        "manageMasterUserPassword is not true",
    ),
    Mutation(
        "rds-performance-insights",
        DB,
        set_path("performanceInsightsEnabled", value=False),
        "performanceInsightsEnabled is False",
    ),
    Mutation(
        "rds-pg-stat-statements",
        "commsec-db-params",
        set_path("parameters", 0, "value", value="auto_explain"),
        "does not list pg_stat_statements",
    ),
    Mutation(
        "rds-pg-stat-statements", DB, drop("parameterGroupName"), "uses the default parameter group"
    ),
    # --- load balancers ------------------------------------------------------------------
    Mutation(
        "alb-pair",
        "commsec-app-alb",
        set_path("internal", value=False),
        "commsec-app-alb must be internal",
    ),
    Mutation(
        "alb-pair",
        WEB_ALB,
        set_path("name", value="web"),
        "load balancer commsec-web-alb is missing",
    ),
    Mutation(
        "alb-zonal-shift",
        "commsec-app-alb",
        set_path("enableZonalShift", value=False),
        "commsec-app-alb: enableZonalShift is False; it must be true",
    ),
    Mutation(
        "alb-hardening",
        WEB_ALB,
        set_path("enableDeletionProtection", value=False),
        "enableDeletionProtection is False",
    ),
    Mutation(
        "alb-hardening",
        WEB_ALB,
        set_path("accessLogs", "enabled", value=False),
        "accessLogs must be enabled with a bucket",
    ),
    Mutation(
        "alb-hardening",
        "commsec-app-alb",
        drop("dropInvalidHeaderFields"),
        "dropInvalidHeaderFields is not set",
    ),
    Mutation(
        "alb-lcu-reservation",
        WEB_ALB,
        drop("minimumLoadBalancerCapacity"),
        "the web ALB needs an LCU reservation",
    ),
    Mutation(
        "alb-listener-tls",
        "commsec-web-https",
        set_path("sslPolicy", value="ELBSecurityPolicy-2016-08"),
        "HTTPS listeners need a TLS 1.2+ policy",
    ),
    Mutation(
        "alb-listener-tls",
        "commsec-web-http",
        set_path("defaultActions", 0, "redirect", "protocol", value="HTTP"),
        "must only redirect to HTTPS",
    ),
    Mutation(
        "alb-https-listener",
        "commsec-app-https",
        set_path("protocol", value="HTTP"),
        "commsec-app-alb has no HTTPS listener",
    ),
    Mutation(
        "alb-zonal-autoshift",
        "commsec-web-autoshift-config",
        set_path(
            "resourceArn",
            value="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1",
        ),
        "commsec-web-alb has no zonal autoshift configuration",
    ),
    Mutation(
        "arc-practice-runs",
        "commsec-web-autoshift-config",
        set_path("allowedWindows", 0, value="Mon:23:00-Tue:01:00"),
        "spans two days",
    ),
    Mutation(
        "arc-practice-runs",
        "commsec-app-autoshift-config",
        set_path("allowedWindows", value=["Tue:01:00-Tue:03:00"]),
        "falls in the Sydney busy period",
    ),
    Mutation(
        "arc-practice-runs",
        "commsec-app-autoshift-config",
        set_path("outcomeAlarms", value=[]),
        "outcomeAlarms is empty",
    ),
    Mutation(
        "arc-practice-runs",
        "commsec-web-autoshift-config",
        set_path("zonalAutoshiftStatus", value="DISABLED"),
        "zonalAutoshiftStatus is 'DISABLED'",
    ),
    # --- EKS -----------------------------------------------------------------------------
    Mutation(
        "eks-secrets-encryption",
        "commsec-eks",
        drop("encryptionConfigKeyArn"),
        "Kubernetes secrets must be KMS-encrypted",
    ),
    Mutation(
        "eks-control-plane-logs",
        "commsec-eks",
        set_path("enabledClusterLogTypes", value=["api"]),
        "enabledClusterLogTypes lacks audit, authenticator",
    ),
    Mutation(
        "eks-endpoint-not-open",
        "commsec-eks",
        set_path("endpointPublicAccess", value=True),
        "open to the world",
    ),
    Mutation(
        "node-group-scaling",
        "commsec-web-nodes",
        set_path("scalingConfig", "minSize", value=2),
        "scalingConfig is 2..10",
    ),
    Mutation(
        "node-group-scaling",
        "commsec-app-nodes",
        set_path("scalingConfig", "maxSize", value=6),
        "to at least 10 nodes",
    ),
    Mutation(
        "node-group-scaling",
        "commsec-eks",
        set_path("skipDefaultNodeGroup", value=False),
        "skipDefaultNodeGroup must be true",
    ),
    Mutation(
        "launch-template-imdsv2",
        "commsec-web-nodes-lt",
        set_path("metadataOptions", "httpTokens", value="optional"),
        "IMDSv2 must be 'required'",
    ),
    Mutation(
        "node-group-imdsv2",
        "commsec-app-nodes-lt",
        set_path("metadataOptions", "httpTokens", value="optional"),
        "launch template commsec-app-nodes-lt",
    ),
    Mutation(
        "node-group-imdsv2",
        "commsec-web-nodes",
        drop("launchTemplate"),
        "neither enableIMDSv2 nor a launch template",
    ),
    # --- alarms --------------------------------------------------------------------------
    Mutation(
        "required-alarms",
        "commsec-monitoring-db-free-storage",
        set_path("metricName", value="FreeableMemory"),
        "no alarm watches AWS/RDS FreeStorageSpace",
    ),
    Mutation(
        "alb-5xx-alarm",
        "commsec-monitoring-web-alb-5xx",
        set_path("threshold", value=50),
        "threshold is 50 (expected 100)",
    ),
    Mutation(
        "alb-5xx-alarm",
        "commsec-monitoring-web-alb-5xx",
        set_path("evaluationPeriods", value=1),
        "evaluationPeriods is 1 (expected 2)",
    ),
    Mutation(
        "alb-5xx-alarm",
        "commsec-monitoring-web-alb-5xx",
        set_path("period", value=300),
        "period is 300 (expected 60)",
    ),
    Mutation(
        "alarms-notify-alerts",
        "commsec-monitoring-node-cpu",
        set_path("alarmActions", value=[]),
        "alarm commsec-monitoring-node-cpu has no alarmActions",
    ),
    Mutation(
        "alarms-notify-alerts",
        "commsec-monitoring-db-connections",
        set_path("alarmActions", value=["arn:aws:sns:us-east-1:123456789012:someone-else"]),
        "does not notify commsec-alerts",
    ),
    Mutation(
        "alerts-topic-encrypted",
        "commsec-monitoring-alerts",
        set_path("kmsMasterKeyId", value="alias/aws/sns"),
        "it needs a customer key",
    ),
    Mutation(
        "alerts-topic-encrypted",
        "commsec-monitoring-alerts-key",
        edit_json("policy", lambda doc: doc["Statement"].pop()),
        "does not let cloudwatch.amazonaws.com use",
    ),
    # --- backups -------------------------------------------------------------------------
    Mutation(
        "backup-bucket-hardened",
        "commsec-backups-bucket-versioning",
        set_path("versioningConfiguration", "status", value="Suspended"),
        "is not versioned",
    ),
    Mutation(
        "backup-bucket-hardened",
        "commsec-backups-bucket-encryption",
        set_path("rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm", value="AES256"),
        "is not encrypted with a KMS key",
    ),
    Mutation(
        "backup-bucket-hardened",
        "commsec-backups-bucket-public-access",
        set_path("restrictPublicBuckets", value=False),
        "does not block all four kinds",
    ),
    Mutation(
        "backup-bucket-hardened",
        "commsec-backups-bucket-policy",
        edit_json("policy", lambda doc: doc["Statement"].pop(0)),
        "has no policy denying requests without TLS",
    ),
    Mutation(
        "backup-bucket-hardened",
        "commsec-backups-bucket-lifecycle",
        set_path("rules", 0, "expiration", "days", value=30),
        "keeping objects at least 35 days",
    ),
    # --- Kubernetes ----------------------------------------------------------------------
    Mutation(
        "k8s-deployments",
        FRONTEND,
        drop(*CONTAINER, "readinessProbe"),
        "container frontend has no readinessProbe",
    ),
    Mutation(
        "k8s-deployments",
        FRONTEND,
        drop(*CONTAINER, "resources", "limits"),
        "container frontend sets no cpu limits",
    ),
    Mutation(
        "k8s-deployments",
        FRONTEND,
        drop("spec", "template", "spec", "topologySpreadConstraints"),
        "no topologySpreadConstraints over",
    ),
    Mutation(
        "k8s-deployments",
        "commsec-workloads-api-gateway",
        set_path("metadata", "namespace", value="default"),
        "Deployment commsec/api-gateway is missing",
    ),
    Mutation(
        "k8s-autoscalers",
        "commsec-workloads-trading-service-hpa",
        set_path("spec", "scaleTargetRef", "name", value="frontend"),
        "not Deployment/trading-service",
    ),
    Mutation(
        "k8s-autoscalers",
        "commsec-workloads-frontend-hpa",
        set_path("metadata", "name", value="web-hpa"),
        "HorizontalPodAutoscaler commsec/frontend-hpa is missing",
    ),
    Mutation(
        "k8s-disruption-budgets",
        "commsec-workloads-frontend-pdb",
        set_path("spec", "selector", "matchLabels", "app", value="nothing"),
        "Deployment commsec/frontend has no PodDisruptionBudget",
    ),
    # --- tags ----------------------------------------------------------------------------
    Mutation("required-tags", DB, drop("tags", "cost-centre"), "missing tag(s) cost-centre"),
    Mutation(
        "required-tags",
        "commsec-nat-b",
        drop("tags"),
        "missing tag(s) environment, owner, cost-centre",
    ),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=str)
def test_mutation_of_prod_plan_is_caught(mutation: Mutation) -> None:
    resources = resources_of("prod")
    assert violations_of(resources, mutation.policy) == [], "the real plan must pass first"

    mutation.edit(find(resources, mutation.resource)["inputs"])
    found = violations_of(resources, mutation.policy)

    assert found, f"{mutation.policy} missed the mutation of {mutation.resource}"
    assert all(v["enforcement"] == "mandatory" for v in found)
    messages = " | ".join(v["message"] for v in found)
    assert mutation.expected in messages


def test_every_policy_has_a_mutation() -> None:
    from policies.rules import POLICIES

    assert {p.name for p in POLICIES} <= {m.policy for m in MUTATIONS}


def test_resource_violation_carries_the_resource_urn() -> None:
    resources = resources_of("prod")
    find(resources, DB)["inputs"]["multiAz"] = False
    (found,) = violations_of(resources, "rds-multi-az")
    assert found["urn"] == find(resources, DB)["urn"]
    assert found["message"] == f"{DB}: multiAz is False; it must be true"
