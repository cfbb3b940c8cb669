"""Building blocks every component shares: customer-managed KMS keys and IAM trust policies."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from infra.settings import Settings
from infra.tags import tags


def kms_key(
    name: str,
    description: str,
    s: Settings,
    parent: pulumi.Resource,
    policy: pulumi.Input[str] | None = None,
) -> aws.kms.Key:
    """A rotating customer key with the longest deletion window, so a mistake is recoverable."""
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        tags=tags(s, name),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def assume_role_policy(service: str) -> str:
    """A trust policy letting one AWS service principal assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )
