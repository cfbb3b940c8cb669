"""EKS details the mock cannot show: the zonal-shift transform and the AMI choice."""

from __future__ import annotations

import pulumi
import pytest

from infra.cluster import EKS_CLUSTER_TYPE, ami_type, enable_eks_zonal_shift
from ops.plan.engine import PlanResult


def _args(type_: str, props: dict) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name="commsec-cluster", props=props,
        opts=pulumi.ResourceOptions(),
    )  # fmt: skip


def test_transform_enables_zonal_shift_on_the_eks_cluster() -> None:
    result = enable_eks_zonal_shift(
        _args(EKS_CLUSTER_TYPE, {"name": "commsec-cluster", "vpcConfig": {}})
    )
    assert result is not None
    assert result.props["zonalShiftConfig"] == {"enabled": True}
    assert result.props["name"] == "commsec-cluster"


def test_transform_uses_python_names_for_python_props() -> None:
    result = enable_eks_zonal_shift(_args(EKS_CLUSTER_TYPE, {"vpc_config": {}}))
    assert result is not None and result.props["zonal_shift_config"] == {"enabled": True}


@pytest.mark.parametrize("type_", ["aws:ec2/securityGroup:SecurityGroup", "aws:iam/role:Role"])
def test_transform_leaves_other_children_alone(type_: str) -> None:
    assert enable_eks_zonal_shift(_args(type_, {"name": "x"})) is None


def test_the_cluster_carries_the_transform(plans: dict[str, PlanResult]) -> None:
    cluster = next(r for r in plans["prod"].resources if r.type == "eks:index:Cluster")
    assert cluster.transforms == 1


@pytest.mark.parametrize(
    ("instance", "ami"),
    [("m6i.large", "AL2023_x86_64_STANDARD"), ("m7g.xlarge", "AL2023_ARM_64_STANDARD")],
)
def test_graviton_nodes_get_the_arm_ami(instance: str, ami: str) -> None:
    assert ami_type(instance) == ami


def test_cluster_secrets_encrypted_and_endpoint_private(plans: dict[str, PlanResult]) -> None:
    cluster = next(r for r in plans["prod"].resources if r.type == "eks:index:Cluster").inputs
    assert cluster["name"] == "commsec-cluster"
    assert cluster["encryptionConfigKeyArn"].startswith("arn:aws:kms:")
    assert cluster["endpointPublicAccess"] is False and cluster["endpointPrivateAccess"] is True
    assert set(cluster["enabledClusterLogTypes"]) >= {"api", "audit", "authenticator"}


def test_nodes_require_imdsv2(plans: dict[str, PlanResult]) -> None:
    templates = [
        r for r in plans["prod"].resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"
    ]
    assert len(templates) == 2
    for template in templates:
        assert template.inputs["metadataOptions"]["httpTokens"] == "required", template.urn
