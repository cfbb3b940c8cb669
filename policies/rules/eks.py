"""The EKS cluster and its managed node groups.

Offline the program's remote components (``eks:index:Cluster``, ``eks:index:ManagedNodeGroup``)
appear with their own inputs; online their children (``aws:eks/cluster:Cluster``,
``aws:eks/nodeGroup:NodeGroup``) appear as well. Every policy covers both shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pulumi_policy import PolicyResource

from infra.contract import NODE_GROUP_MAX_FLOOR, NODE_GROUP_MIN_FLOOR
from policies.rules._base import (
    MISSING,
    Config,
    Finding,
    Props,
    dig,
    is_false,
    is_true,
    items,
    number,
    of_type,
    resolve,
    resource_policy,
    stack_policy,
    text,
)

EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP_COMPONENT = "eks:index:ManagedNodeGroup"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
REQUIRED_LOGS = ("api", "audit", "authenticator")
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _component_encryption(props: Props, _config: Config) -> str | None:
    key = dig(props, "encryptionConfigKeyArn")
    if not isinstance(key, str) or not key:
        return "encryptionConfigKeyArn is not set; Kubernetes secrets must be KMS-encrypted"
    return None


def _cluster_encryption(props: Props, _config: Config) -> str | None:
    config = dig(props, "encryptionConfig")
    key = dig(config, "provider", "keyArn")
    if "secrets" not in items(dig(config, "resources")) or not isinstance(key, str) or not key:
        return "encryptionConfig must encrypt resources ['secrets'] with a KMS key"
    return None


def _logs(props: Props, _config: Config) -> str | None:
    enabled = set(items(dig(props, "enabledClusterLogTypes")))
    missing = [log for log in REQUIRED_LOGS if log not in enabled]
    if missing:
        return f"enabledClusterLogTypes lacks {', '.join(missing)}"
    return None


def _endpoint(public: object, cidrs: object) -> str | None:
    if is_false(public):
        return None
    listed = items(cidrs)
    # AWS opens a public endpoint to 0.0.0.0/0 when no CIDRs are given.
    if not listed or any(cidr in OPEN_CIDRS for cidr in listed):
        return (
            "the API endpoint is public and open to the world; set endpointPublicAccess=false "
            "or restrict publicAccessCidrs"
        )
    return None


def _component_endpoint(props: Props, _config: Config) -> str | None:
    return _endpoint(dig(props, "endpointPublicAccess"), dig(props, "publicAccessCidrs"))


def _cluster_endpoint(props: Props, _config: Config) -> str | None:
    vpc = dig(props, "vpcConfig")
    return _endpoint(dig(vpc, "endpointPublicAccess"), dig(vpc, "publicAccessCidrs"))


def _scaling(props: Props, _config: Config) -> str | None:
    scaling = dig(props, "scalingConfig")
    low, high = number(dig(scaling, "minSize")), number(dig(scaling, "maxSize"))
    if low is None or high is None or low < NODE_GROUP_MIN_FLOOR or high < NODE_GROUP_MAX_FLOOR:
        return (
            f"scalingConfig is {text(dig(scaling, 'minSize'))}..{text(dig(scaling, 'maxSize'))}; "
            f"node groups must scale from at least {NODE_GROUP_MIN_FLOOR} "
            f"to at least {NODE_GROUP_MAX_FLOOR} nodes"
        )
    return None


def _no_default_node_group(props: Props, _config: Config) -> str | None:
    if not is_true(dig(props, "skipDefaultNodeGroup")):
        return "skipDefaultNodeGroup must be true: only the managed tier node groups may run nodes"
    return None


def _template_tokens(props: Props, _config: Config) -> str | None:
    tokens = dig(props, "metadataOptions", "httpTokens")
    if tokens != "required":
        return f"metadataOptions.httpTokens is {text(tokens)}; IMDSv2 must be 'required'"
    return None


def check_node_imdsv2(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    templates = of_type(resources, LAUNCH_TEMPLATE)
    for group in of_type(resources, NODE_GROUP_COMPONENT, NODE_GROUP):
        if is_true(dig(group.props, "enableIMDSv2")):
            continue
        reference = dig(group.props, "launchTemplate")
        if reference is MISSING:
            yield (
                f"node group {group.name} has neither enableIMDSv2 nor a launch template, so "
                "its nodes accept IMDSv1",
                group.urn,
            )
            continue
        wanted = dig(reference, "id")
        template = resolve(
            dig(reference, "name") if wanted is MISSING else wanted, templates, group
        )
        if template is None:
            yield (
                f"node group {group.name} uses a launch template outside this stack; "
                "IMDSv2 cannot be verified",
                group.urn,
            )
        elif dig(template.props, "metadataOptions", "httpTokens") != "required":
            yield (f"launch template {template.name} of {group.name} allows IMDSv1", group.urn)


POLICIES = [
    resource_policy(
        name="eks-secrets-encryption",
        description="Kubernetes secrets are envelope-encrypted with a customer KMS key.",
        remediation="Pass encryption_config_key_arn (a KMS key ARN) to the cluster.",
        checks={EKS_COMPONENT: (_component_encryption,), EKS_CLUSTER: (_cluster_encryption,)},
    ),
    resource_policy(
        name="eks-control-plane-logs",
        description="Control-plane api, audit and authenticator logs are sent to CloudWatch.",
        remediation="Set enabled_cluster_log_types to include api, audit and authenticator.",
        checks={EKS_COMPONENT: (_logs,), EKS_CLUSTER: (_logs,)},
    ),
    resource_policy(
        name="eks-endpoint-not-open",
        description="The Kubernetes API endpoint is private or limited to named CIDRs.",
        remediation="Set endpoint_public_access=False, or public_access_cidrs to office ranges.",
        checks={EKS_COMPONENT: (_component_endpoint,), EKS_CLUSTER: (_cluster_endpoint,)},
    ),
    resource_policy(
        name="node-group-scaling",
        description=(
            f"Each node group scales between at least {NODE_GROUP_MIN_FLOOR} (one node per AZ) "
            f"and at least {NODE_GROUP_MAX_FLOOR} nodes, the runbook's scaling range."
        ),
        remediation=f"Set scalingConfig minSize>={NODE_GROUP_MIN_FLOOR}, "
        f"maxSize>={NODE_GROUP_MAX_FLOOR}.",
        checks={
            NODE_GROUP_COMPONENT: (_scaling,),
            NODE_GROUP: (_scaling,),
            EKS_COMPONENT: (_no_default_node_group,),
        },
    ),
    resource_policy(
        name="launch-template-imdsv2",
        description="Launch templates require IMDSv2 tokens, so pods cannot steal node roles.",
        remediation="Set metadata_options.http_tokens='required' on the launch template.",
        checks={LAUNCH_TEMPLATE: (_template_tokens,)},
    ),
    stack_policy(
        name="node-group-imdsv2",
        description="Every node group's nodes require IMDSv2 (enableIMDSv2 or a launch template).",
        remediation="Give the node group a launch template of this stack with httpTokens required.",
        checks=[check_node_imdsv2],
    ),
]
