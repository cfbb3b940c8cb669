"""The VPC: public, private (nodes) and database subnets in three AZs, NAT per AZ, flow logs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.security import assume_role_policy
from infra.settings import Settings
from infra.tags import tags


@dataclass
class NetworkArgs:
    settings: Settings


class Network(pulumi.ComponentResource):
    """A three-AZ VPC. Private subnets route out through the NAT gateway of their own AZ.

    One NAT gateway per AZ means an AZ failure (or a zonal shift away from it) never takes
    the other zones' egress with it.
    """

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:network:Network", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=s.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags(s, f"{name}-vpc"),
            opts=child,
        )
        # The default security group allows all traffic between its members; with no rules
        # at all, anything that falls back to it is isolated.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=tags(s, f"{name}-default-sg"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=tags(s, f"{name}-igw"), opts=child
        )
        public_rt = self._route_table(s, f"{name}-public-rt", gateway_id=igw.id)

        self.public_subnet_ids: list[pulumi.Output[str]] = []
        self.private_subnet_ids: list[pulumi.Output[str]] = []
        self.database_subnet_ids: list[pulumi.Output[str]] = []
        for index, zone in enumerate(s.availability_zones):
            suffix = zone[-1]
            public = self._subnet(
                s,
                f"{name}-public-{suffix}",
                zone,
                s.public_subnet_cidrs[index],
                "public",
                public_rt,
                {"kubernetes.io/role/elb": "1"},
            )
            eip = aws.ec2.Eip(
                f"{name}-nat-{suffix}-eip",
                domain="vpc",
                tags=tags(s, f"{name}-nat-{suffix}"),
                opts=child,
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{suffix}",
                allocation_id=eip.id,
                subnet_id=public.id,
                tags=tags(s, f"{name}-nat-{suffix}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            private = self._subnet(
                s,
                f"{name}-private-{suffix}",
                zone,
                s.private_subnet_cidrs[index],
                "private",
                self._route_table(s, f"{name}-private-{suffix}-rt", nat_gateway_id=nat.id),
                {"kubernetes.io/role/internal-elb": "1"},
            )
            # Database subnets get a route table with no default route: no path to the internet.
            database = self._subnet(
                s,
                f"{name}-database-{suffix}",
                zone,
                s.database_subnet_cidrs[index],
                "database",
                self._route_table(s, f"{name}-database-{suffix}-rt"),
                {},
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
            self.database_subnet_ids.append(database.id)

        self._flow_logs(name, s)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
            }
        )

    def _route_table(
        self, s: Settings, name: str, **default_route: pulumi.Input[str]
    ) -> aws.ec2.RouteTable:
        """A route table; with ``gateway_id`` or ``nat_gateway_id``, a default route to it."""
        routes = (
            [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", **default_route)]
            if default_route
            else []
        )
        return aws.ec2.RouteTable(
            name,
            vpc_id=self.vpc.id,
            routes=routes,
            tags=tags(s, name),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _subnet(
        self,
        s: Settings,
        name: str,
        zone: str,
        cidr: str,
        tier: str,
        route_table: aws.ec2.RouteTable,
        extra: dict[str, str],
    ) -> aws.ec2.Subnet:
        subnet = aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags=tags(s, name, tier=tier, **extra),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-rta",
            subnet_id=subnet.id,
            route_table_id=route_table.id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return subnet

    def _flow_logs(self, name: str, s: Settings) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/commsec/{s.environment}/vpc-flow-logs",
            retention_in_days=s.log_retention_days,
            tags=tags(s, f"{name}-flow-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
            tags=tags(s, f"{name}-flow-logs-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": f"{arn}:*",
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=tags(s, f"{name}-flow-log"),
            opts=child,
        )
