"""moto in server mode on 127.0.0.1, seeded with the resources a stack's outputs name.

moto accepts everything and evaluates nothing: alarms never fire, a forced failover moves no
AZ, a subscription is confirmed at once. The helpers at the bottom reach into moto's
in-process backends for the few states a test must force and no AWS API can set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from infra import contract
from ops.aws_alarms import expected_alarms
from tests.servers.local_http import free_port
from tests.support.outputs import ACCOUNT, REGION, sample_outputs

_AZS = ("us-east-1a", "us-east-1b", "us-east-1c")


# moto keeps its state in process-wide backends shared by every server in this process, so a
# reset by one test folder wipes what another seeded. Resets go through reset() and are
# counted, so a fixture that seeded once can tell that it must seed again.
_resets = 0


def reset(url: str) -> None:
    """Empty every moto backend of this process (through the server's reset route)."""
    import requests

    global _resets
    requests.post(f"{url}/moto-api/reset", timeout=5).raise_for_status()
    _resets += 1


def reset_count() -> int:
    return _resets


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


@dataclass
class SeededStack:
    outputs: dict[str, Any]
    az_ids: dict[str, str]
    subscription_arn: str


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _network(url: str) -> tuple[str, list[str], str, dict[str, str]]:
    ec2 = _client(url, "ec2")
    zones = ec2.describe_availability_zones(ZoneNames=list(_AZS))["AvailabilityZones"]
    az_ids = {zone["ZoneName"]: zone["ZoneId"] for zone in zones}
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=az)["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate(_AZS)
    ]
    group = ec2.create_security_group(GroupName="commsec-db", Description="db", VpcId=vpc)
    return vpc, subnets, group["GroupId"], az_ids


def _load_balancers(url: str, vpc: str, subnets: list[str]) -> dict[str, Any]:
    elb = _client(url, "elbv2")
    found: dict[str, Any] = {}
    for tier, name, scheme in (
        ("web", contract.WEB_ALB_NAME, "internet-facing"),
        ("app", contract.APP_ALB_NAME, "internal"),
    ):
        alb = elb.create_load_balancer(
            Name=name, Subnets=subnets, Scheme=scheme, Type="application"
        )
        group = elb.create_target_group(
            Name=f"commsec-{tier}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
        )
        found[f"{tier}AlbArn"] = alb["LoadBalancers"][0]["LoadBalancerArn"]
        found[f"{tier}AlbDnsName"] = alb["LoadBalancers"][0]["DNSName"]
        found[f"{tier}TargetGroupArns"] = [group["TargetGroups"][0]["TargetGroupArn"]]
    return found


def _cluster(url: str, subnets: list[str]) -> None:
    eks = _client(url, "eks")
    role = f"arn:aws:iam::{ACCOUNT}:role/commsec-eks"
    eks.create_cluster(
        name=contract.CLUSTER_NAME, roleArn=role, resourcesVpcConfig={"subnetIds": subnets}
    )
    for group in (contract.WEB_NODE_GROUP, contract.APP_NODE_GROUP):
        eks.create_nodegroup(
            clusterName=contract.CLUSTER_NAME,
            nodegroupName=group,
            subnets=subnets,
            nodeRole=role,
            scalingConfig={"minSize": 3, "maxSize": 10, "desiredSize": 3},
        )


def _database(url: str, subnets: list[str], security_group: str, kms_key: str) -> dict[str, Any]:
    rds = _client(url, "rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="commsec-db", DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    rds.create_db_parameter_group(
        DBParameterGroupName="commsec-pg16", DBParameterGroupFamily="postgres16", Description="pg"
    )
    instance = rds.create_db_instance(
        DBInstanceIdentifier=contract.DB_INSTANCE_IDENTIFIER,
        DBInstanceClass="db.r6g.large",
        Engine="postgres",
        EngineVersion="16.4",
        DBName=contract.DB_NAME,
        MasterUsername=contract.DB_MASTER_USERNAME,
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=100,
        MultiAZ=True,
        AvailabilityZone=_AZS[0],
        DBSubnetGroupName="commsec-db",
        DBParameterGroupName="commsec-pg16",
        VpcSecurityGroupIds=[security_group],
        StorageEncrypted=True,
        KmsKeyId=kms_key,
        DeletionProtection=True,
        BackupRetentionPeriod=contract.BACKUP_RETENTION_DAYS,
        PreferredBackupWindow="16:00-17:00",
    )["DBInstance"]
    secret = _client(url, "secretsmanager").create_secret(
        Name="rds!db-commsec", SecretString='{"username": "commsec_admin", "password": "x"}'
    )
    return {
        "dbEndpoint": instance["Endpoint"]["Address"],
        "dbPort": instance["Endpoint"]["Port"],
        "dbMasterUserSecretArn": secret["ARN"],
    }


def seed_stack(url: str) -> SeededStack:
    """Create the stack's resources in moto and return outputs naming their real ids."""
    vpc, subnets, security_group, az_ids = _network(url)
    albs = _load_balancers(url, vpc, subnets)
    _cluster(url, subnets)
    kms_key = _client(url, "kms").create_key(Description="backups")["KeyMetadata"]["Arn"]
    database = _database(url, subnets, security_group, kms_key)
    bucket = "commsec-backups-test"
    _client(url, "s3").create_bucket(Bucket=bucket)
    sns = _client(url, "sns")
    topic = sns.create_topic(Name=contract.ALERTS_TOPIC_NAME)["TopicArn"]
    subscription = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="oncall@commsec.example.com"
    )["SubscriptionArn"]
    outputs = sample_outputs(
        availabilityZones=list(_AZS),
        availabilityZoneIds=[az_ids[az] for az in _AZS],
        vpcId=vpc,
        backupBucketName=bucket,
        backupKmsKeyArn=kms_key,
        alertsTopicArn=topic,
        **albs,
        **database,
    )
    put_expected_alarms(url, outputs)
    return SeededStack(outputs=outputs, az_ids=az_ids, subscription_arn=subscription)


def put_expected_alarms(url: str, outputs: dict[str, Any]) -> list[str]:
    """The alarms the stack's program creates, wired to the alerts topic."""
    cloudwatch = _client(url, "cloudwatch")
    names = []
    for alarm in expected_alarms(
        web_alb_arn=outputs["webAlbArn"],
        app_alb_arn=outputs["appAlbArn"],
        cluster_name=outputs["clusterName"],
        db_instance=outputs["dbInstanceIdentifier"],
    ):
        name = f"commsec-{alarm.key}"
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=alarm.namespace,
            MetricName=alarm.metric,
            Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions.items()],
            Statistic="Sum" if alarm.metric == "HTTPCode_Target_5XX_Count" else "Average",
            Period=60,
            EvaluationPeriods=2,
            Threshold=100,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[outputs["alertsTopicArn"]],
        )
        names.append(name)
    return names


# --- moto back doors: states no AWS API lets a caller set ------------------------------------


def _rds_backend() -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT][REGION]


def set_db_state(
    identifier: str,
    *,
    status: str | None = None,
    az: str | None = None,
    deletion_protection: bool | None = None,
) -> None:
    """Force an RDS instance's status, primary AZ or deletion protection: moto never changes
    the first two itself, and copies the last one into every restore."""
    database = _rds_backend().databases[identifier]
    if status is not None:
        database.status = status
    if az is not None:
        database.availability_zone = az
    if deletion_protection is not None:
        database.deletion_protection = deletion_protection


def set_subscription_pending(subscription_arn: str, pending: bool) -> None:
    """moto confirms every subscription at once; a real e-mail one waits for a click."""
    from moto.sns.models import sns_backends

    subscription = sns_backends[ACCOUNT][REGION].subscriptions[subscription_arn]
    subscription.attributes["PendingConfirmation"] = "true" if pending else "false"
    subscription.confirmed = not pending


def clear_metrics() -> None:
    """Forget every datapoint, so one test's metrics do not leak into the next one's window."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[ACCOUNT][REGION]
    backend.metric_data.clear()
    backend.paged_metric_data.clear()
