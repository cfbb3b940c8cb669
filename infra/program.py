"""The whole environment, wired from the components, and the stack outputs contract."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra import settings as settings_module
from infra.autoshift import ZonalAutoshift, ZonalAutoshiftArgs
from infra.backups import BackupVault, BackupVaultArgs
from infra.cluster import Cluster, ClusterArgs
from infra.contract import (
    APP_ALB_NAME,
    APP_NODE_GROUP,
    CLUSTER_NAME,
    DB_NAME,
    OUTPUT_NAMES,
    WEB_ALB_NAME,
    WEB_NODE_GROUP,
)
from infra.database import Database, DatabaseArgs
from infra.edge import Edge, EdgeArgs
from infra.loadbalancer import LoadBalancer, LoadBalancerArgs
from infra.logs import LogArchive, LogArchiveArgs
from infra.monitoring import Monitoring, MonitoringArgs
from infra.network import Network, NetworkArgs
from infra.workloads import APPS, Workloads, WorkloadsArgs

CLOUDFRONT_ORIGIN_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


def main() -> None:
    """Build one environment from the running stack's configuration."""
    s = settings_module.from_pulumi()

    network = Network("commsec", NetworkArgs(settings=s))
    cluster = Cluster(
        "commsec",
        ClusterArgs(
            settings=s,
            vpc_id=network.vpc.id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
        ),
    )
    logs = LogArchive("commsec-logs", LogArchiveArgs(settings=s))
    backups = BackupVault("commsec-backups", BackupVaultArgs(settings=s))
    cloudfront_origins = aws.ec2.get_managed_prefix_list_output(name=CLOUDFRONT_ORIGIN_PREFIX_LIST)
    web = LoadBalancer(
        "commsec-web",
        LoadBalancerArgs(
            settings=s,
            lb_name=WEB_ALB_NAME,
            internal=False,
            vpc_id=network.vpc.id,
            subnet_ids=network.public_subnet_ids,
            certificate_arn=s.web_certificate_arn,
            log_bucket=logs.bucket_name,
            target_port=APPS["frontend"].port,
            health_check_path=APPS["frontend"].health_path,
            target_security_group_id=cluster.web_nodes_sg.id,
            # Only CloudFront reaches the web ALB.
            ingress_prefix_list_ids=[cloudfront_origins.id],
            ingress_ports=(443,),
            capacity_units=s.web_alb_capacity_units,
        ),
    )
    app = LoadBalancer(
        "commsec-app",
        LoadBalancerArgs(
            settings=s,
            lb_name=APP_ALB_NAME,
            internal=True,
            vpc_id=network.vpc.id,
            subnet_ids=network.private_subnet_ids,
            certificate_arn=s.app_certificate_arn,
            log_bucket=logs.bucket_name,
            target_port=APPS["api-gateway"].port,
            health_check_path=APPS["api-gateway"].health_path,
            target_security_group_id=cluster.app_nodes_sg.id,
            ingress_security_group_ids=[cluster.web_nodes_sg.id],
        ),
    )
    edge = Edge(
        "commsec-edge",
        EdgeArgs(
            settings=s,
            origin_domain_name=web.dns_name,
            log_bucket_domain_name=logs.bucket_domain_name,
        ),
    )
    database = Database(
        "commsec-db",
        DatabaseArgs(
            settings=s,
            vpc_id=network.vpc.id,
            subnet_ids=network.database_subnet_ids,
            client_security_group_id=cluster.app_nodes_sg.id,
        ),
    )
    monitoring = Monitoring(
        "commsec-monitoring",
        MonitoringArgs(settings=s, alb_arn_suffixes={"web": web.arn_suffix, "app": app.arn_suffix}),
    )
    for label, alb in (("web", web), ("app", app)):
        ZonalAutoshift(
            f"commsec-{label}-autoshift",
            ZonalAutoshiftArgs(
                resource_arn=alb.arn, outcome_alarm_arns=[monitoring.outcome_alarm_arn(label)]
            ),
        )
    workloads = Workloads(
        "commsec-workloads",
        WorkloadsArgs(
            settings=s,
            kubeconfig=cluster.kubeconfig,
            vpc_id=network.vpc.id,
            oidc_provider_arn=cluster.eks.oidc_provider_arn,
            oidc_provider_url=cluster.eks.oidc_provider_url,
            target_group_arns={"web": web.target_group_arn, "app": app.target_group_arn},
        ),
    )

    zones = aws.get_availability_zones_output(state="available")
    zone_ids = zones.apply(
        lambda z: [z.zone_ids[z.names.index(name)] for name in s.availability_zones]
    )
    outputs: dict[str, object] = {
        "region": s.region,
        "availabilityZones": list(s.availability_zones),
        "availabilityZoneIds": zone_ids,
        "vpcId": network.vpc.id,
        "clusterName": CLUSTER_NAME,
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        "webNodeGroupName": WEB_NODE_GROUP,
        "appNodeGroupName": APP_NODE_GROUP,
        "webAlbArn": web.arn,
        "webAlbDnsName": web.dns_name,
        "webTargetGroupArns": [web.target_group_arn],
        "appAlbArn": app.arn,
        "appAlbDnsName": app.dns_name,
        "appTargetGroupArns": [app.target_group_arn],
        "cloudfrontDistributionId": edge.distribution_id,
        "cloudfrontDomainName": edge.domain_name,
        "dbInstanceIdentifier": database.identifier,
        "dbEndpoint": database.endpoint,
        "dbPort": database.port,
        "dbName": DB_NAME,
        "dbMasterUserSecretArn": database.master_user_secret_arn,
        "alertsTopicArn": monitoring.topic_arn,
        "backupBucketName": backups.bucket_name,
        "backupKmsKeyArn": backups.key_arn,
        "namespace": workloads.namespace_name,
    }
    # The contract is the single list of names; a drift here is a programming error.
    assert set(outputs) == OUTPUT_NAMES, sorted(set(outputs) ^ OUTPUT_NAMES)
    for name, value in outputs.items():
        pulumi.export(name, value)
