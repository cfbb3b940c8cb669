"""The EKS cluster ``commsec-cluster`` and its two managed node groups."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from infra.contract import APP_NODE_GROUP, CLUSTER_NAME, WEB_NODE_GROUP
from infra.security import assume_role_policy, kms_key
from infra.settings import NodeGroupSettings, Settings
from infra.tags import tags

EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster"
CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
    # Container Insights publishes the node CPU and memory metrics the alarms watch.
    "CloudWatchAgentServerPolicy",
)
TIER_LABEL = "commsec.io/tier"


def enable_eks_zonal_shift(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Turn on EKS zonal shift on the ``aws.eks.Cluster`` that pulumi-eks creates.

    ``eks.Cluster`` is a remote component and does not forward ``zonalShiftConfig``. A
    ``transforms`` option on the component reaches its children when the real engine runs
    it, so this function adds the property to the one child that is the EKS cluster. Props of
    children created by the (Node.js) provider arrive in wire form, camelCase.
    """
    if args.type_ != EKS_CLUSTER_TYPE:
        return None
    props = dict(args.props)
    key = "zonal_shift_config" if "vpc_config" in props else "zonalShiftConfig"
    props[key] = {"enabled": True}
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


def ami_type(instance_type: str) -> str:
    """The EKS AMI for an instance type: Graviton families (``m7g``, ``c6g``...) need ARM."""
    family = instance_type.split(".")[0]
    return "AL2023_ARM_64_STANDARD" if family.endswith("g") else "AL2023_x86_64_STANDARD"


@dataclass
class ClusterArgs:
    settings: Settings
    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]


class Cluster(pulumi.ComponentResource):
    """EKS with envelope-encrypted secrets, private API endpoint and two tiers of nodes."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:cluster:Cluster", name, None, opts)
        s = args.settings
        self.secrets_key = kms_key(
            f"{name}-secrets-key", f"{CLUSTER_NAME} Kubernetes secrets envelope encryption", s, self
        )
        public_access = bool(s.api_public_access_cidrs)
        self.eks = eks.Cluster(
            f"{name}-eks",
            name=CLUSTER_NAME,
            version=s.kubernetes_version,
            vpc_id=args.vpc_id,
            public_subnet_ids=args.public_subnet_ids,
            private_subnet_ids=args.private_subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=public_access,
            public_access_cidrs=list(s.api_public_access_cidrs) if public_access else None,
            encryption_config_key_arn=self.secrets_key.arn,
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            authentication_mode="API",
            skip_default_node_group=True,
            create_oidc_provider=True,
            node_associate_public_ip_address=False,
            deletion_protection=s.is_production,
            tags=tags(s, CLUSTER_NAME),
            opts=pulumi.ResourceOptions(parent=self, transforms=[enable_eks_zonal_shift]),
        )

        self.web_nodes_sg = self._tier_security_group(name, "web", s, args.vpc_id)
        self.app_nodes_sg = self._tier_security_group(name, "app", s, args.vpc_id)
        self.web_node_group = self._node_group(
            name, WEB_NODE_GROUP, "web", s.web_nodes, self.web_nodes_sg, s, args
        )
        self.app_node_group = self._node_group(
            name, APP_NODE_GROUP, "app", s.app_nodes, self.app_nodes_sg, s, args
        )
        aws.eks.Addon(
            f"{name}-cloudwatch-observability",
            cluster_name=CLUSTER_NAME,
            addon_name="amazon-cloudwatch-observability",
            tags=tags(s, f"{name}-cloudwatch-observability"),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.web_node_group, self.app_node_group]
            ),
        )
        self.kubeconfig = self.eks.kubeconfig_json
        self.register_outputs(
            {
                "clusterName": CLUSTER_NAME,
                "kubeconfig": pulumi.Output.secret(self.kubeconfig),
                "webNodeGroupName": WEB_NODE_GROUP,
                "appNodeGroupName": APP_NODE_GROUP,
            }
        )

    def _tier_security_group(
        self, name: str, tier: str, s: Settings, vpc_id: pulumi.Input[str]
    ) -> aws.ec2.SecurityGroup:
        sg_name = f"{name}-{tier}-nodes-sg"
        return aws.ec2.SecurityGroup(
            sg_name,
            vpc_id=vpc_id,
            description=f"{tier}-tier nodes; load balancers and the database refer to it",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    self=True,
                    description="node to node within the tier",
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    cidr_blocks=["0.0.0.0/0"],
                    description="egress through the NAT gateways",
                )
            ],
            tags=tags(s, sg_name, tier=tier),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _node_group(
        self,
        name: str,
        group_name: str,
        tier: str,
        sizing: NodeGroupSettings,
        tier_sg: aws.ec2.SecurityGroup,
        s: Settings,
        args: ClusterArgs,
    ) -> eks.ManagedNodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-{tier}-node-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=tags(s, f"{name}-{tier}-node-role"),
            opts=child,
        )
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{tier}-{policy}",
                role=role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=child,
            )
        # Our own launch template: IMDSv2 only (hop limit 1 keeps pods off the node's role),
        # encrypted root volumes, and the tier's security group next to the cluster's.
        template = aws.ec2.LaunchTemplate(
            f"{name}-{tier}-nodes-lt",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=50,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            vpc_security_group_ids=[self.eks.node_security_group_id, tier_sg.id],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags=tags(s, group_name, tier=tier)
                )
            ],
            tags=tags(s, f"{name}-{tier}-nodes-lt"),
            opts=child,
        )
        return eks.ManagedNodeGroup(
            f"{name}-{tier}-nodes",
            cluster=self.eks,
            node_group_name=group_name,
            node_role_arn=role.arn,
            subnet_ids=args.private_subnet_ids,
            instance_types=[sizing.instance_type],
            capacity_type="ON_DEMAND",
            ami_type=ami_type(sizing.instance_type),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=sizing.min_size,
                max_size=sizing.max_size,
                desired_size=sizing.desired_size,
            ),
            # The cluster autoscaler owns desiredSize; updates must not reset it.
            ignore_scaling_changes=True,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={TIER_LABEL: tier},
            tags=tags(s, group_name, tier=tier),
            opts=child,
        )
