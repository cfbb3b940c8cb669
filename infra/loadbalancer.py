"""An Application Load Balancer with HTTPS, access logs, zonal shift and one target group."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.logs import ALB_LOG_PREFIX
from infra.settings import Settings
from infra.tags import tags

# TLS 1.3 with TLS 1.2 fallback and forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass
class LoadBalancerArgs:
    settings: Settings
    lb_name: str
    internal: bool
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    certificate_arn: str
    log_bucket: pulumi.Input[str]
    target_port: int
    health_check_path: str
    # Nodes of the tier the targets (pod IPs) run on; the ALB must reach them.
    target_security_group_id: pulumi.Input[str]
    ingress_prefix_list_ids: list[pulumi.Input[str]] = field(default_factory=list)
    ingress_security_group_ids: list[pulumi.Input[str]] = field(default_factory=list)
    # Each entry of a referenced prefix list counts as one rule against the security group's
    # quota (60 by default); CloudFront's origin-facing list has 55, so a CloudFront-only ALB
    # admits 443 alone (CloudFront talks HTTPS to the origin anyway).
    ingress_ports: tuple[int, ...] = (80, 443)
    capacity_units: int = 0


class LoadBalancer(pulumi.ComponentResource):
    """The ALB forwards HTTPS to pod IPs registered by a TargetGroupBinding."""

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("commsec:loadbalancer:LoadBalancer", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.lb_name}: HTTPS in, pod traffic out",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    prefix_list_ids=args.ingress_prefix_list_ids or None,
                    security_groups=args.ingress_security_group_ids or None,
                    description=f"port {port} from the callers of {args.lb_name}",
                )
                for port in args.ingress_ports
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=args.target_port,
                    to_port=args.target_port,
                    security_groups=[args.target_security_group_id],
                    description="to the pods behind the target group",
                )
            ],
            tags=tags(s, f"{name}-sg"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-pods",
            security_group_id=args.target_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=args.target_port,
            to_port=args.target_port,
            description=f"{args.lb_name} to pod port {args.target_port}",
            tags=tags(s, f"{name}-to-pods"),
            opts=child,
        )

        capacity = (
            aws.lb.LoadBalancerMinimumLoadBalancerCapacityArgs(capacity_units=args.capacity_units)
            if args.capacity_units
            else None
        )
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=args.lb_name,
            internal=args.internal,
            load_balancer_type="application",
            security_groups=[self.security_group.id],
            subnets=args.subnet_ids,
            enable_deletion_protection=True,
            drop_invalid_header_fields=True,
            enable_zonal_shift=True,
            minimum_load_balancer_capacity=capacity,
            idle_timeout=60,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.log_bucket, prefix=f"{ALB_LOG_PREFIX}/{args.lb_name}", enabled=True
            ),
            tags=tags(s, args.lb_name),
            opts=child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=args.target_port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=args.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=10,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags=tags(s, f"{name}-tg"),
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            tags=tags(s, f"{name}-https"),
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        port="443", protocol="HTTPS", status_code="HTTP_301"
                    ),
                )
            ],
            tags=tags(s, f"{name}-http"),
            opts=child,
        )
        self.arn = self.alb.arn
        self.arn_suffix = self.alb.arn_suffix
        self.dns_name = self.alb.dns_name
        self.target_group_arn = self.target_group.arn
        self.register_outputs(
            {"arn": self.arn, "dnsName": self.dns_name, "targetGroupArn": self.target_group_arn}
        )
