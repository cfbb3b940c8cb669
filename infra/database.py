"""RDS PostgreSQL 16 ``commsec-postgres``: Multi-AZ, encrypted, managed master password."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import market
from infra.contract import DB_INSTANCE_IDENTIFIER, DB_MASTER_USERNAME, DB_NAME
from infra.security import kms_key
from infra.settings import Settings
from infra.tags import tags

DB_PORT = 5432


@dataclass
class DatabaseArgs:
    settings: Settings
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    # Only the app tier's nodes may connect (the trading service runs there).
    client_security_group_id: pulumi.Input[str]


class Database(pulumi.ComponentResource):
    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:database:Database", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.key = kms_key(
            f"{name}-key",
            f"{DB_INSTANCE_IDENTIFIER} storage, secret and Performance Insights",
            s,
            self,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=f"{DB_INSTANCE_IDENTIFIER}-subnets",
            subnet_ids=args.subnet_ids,
            description="database subnets in all three AZs",
            tags=tags(s, f"{name}-subnets"),
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{DB_INSTANCE_IDENTIFIER}: PostgreSQL from the app tier only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=DB_PORT,
                    to_port=DB_PORT,
                    security_groups=[args.client_security_group_id],
                    description="PostgreSQL from app-tier nodes",
                )
            ],
            egress=[],
            tags=tags(s, f"{name}-sg"),
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family="postgres16",
            description="commsec PostgreSQL 16 parameters",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(
                    name="shared_preload_libraries",
                    value="pg_stat_statements",
                    apply_method="pending-reboot",
                ),
                aws.rds.ParameterGroupParameterArgs(name="pg_stat_statements.track", value="all"),
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(
                    name="log_min_duration_statement", value="1000"
                ),
            ],
            tags=tags(s, f"{name}-params"),
            opts=child,
        )
        # Both windows come from the market calendar: off-peak under AEST and AEDT and apart.
        self.backup_window = market.rds_backup_window()
        self.maintenance_window = market.rds_maintenance_window()
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=DB_INSTANCE_IDENTIFIER,
            engine="postgres",
            engine_version=s.db_engine_version,
            instance_class=s.db_instance_class,
            allocated_storage=s.db_allocated_storage,
            max_allocated_storage=s.db_max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            db_name=DB_NAME,
            username=DB_MASTER_USERNAME,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.key.arn,
            port=DB_PORT,
            # Multi-AZ without availability_zone: RDS places primary and standby itself.
            multi_az=True,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            backup_retention_period=s.backup_retention_days,
            backup_window=self.backup_window,
            maintenance_window=self.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{DB_INSTANCE_IDENTIFIER}-final",
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=7,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            apply_immediately=False,
            tags=tags(s, DB_INSTANCE_IDENTIFIER),
            opts=child,
        )
        self.identifier = self.instance.identifier
        self.endpoint = self.instance.address
        self.port = self.instance.port
        self.master_user_secret_arn = self.instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else ""
        )
        self.register_outputs({"identifier": self.identifier, "endpoint": self.endpoint})
