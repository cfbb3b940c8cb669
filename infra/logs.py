"""The log archive: ALB access logs and CloudFront standard logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.buckets import hardened_bucket
from infra.settings import Settings

ACCESS_LOG_DAYS = 90
ALB_LOG_PREFIX = "alb"
CLOUDFRONT_LOG_PREFIX = "cloudfront/"
# Regions older than August 2022 deliver ALB logs from a regional Elastic Load Balancing
# account; newer regions use the log-delivery service principal.
ELB_LOG_ACCOUNTS = {"us-east-1": "127311923021", "us-west-2": "797873946194"}


def alb_delivery_statements(region: str) -> Any:
    """Policy statements that let ALB access-log delivery write under ``alb/``."""
    account = ELB_LOG_ACCOUNTS.get(region)
    principal = (
        {"AWS": f"arn:aws:iam::{account}:root"}
        if account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )

    def statements(bucket_arn: str) -> list[dict[str, Any]]:
        return [
            {
                "Sid": "AlbAccessLogDelivery",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ALB_LOG_PREFIX}/*",
            }
        ]

    return statements


@dataclass
class LogArchiveArgs:
    settings: Settings


class LogArchive(pulumi.ComponentResource):
    """A bucket the load balancers and CloudFront deliver their logs to.

    ALB access-log delivery supports only SSE-S3, so this bucket cannot use a KMS key.
    """

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:logs:LogArchive", name, None, opts)
        s = args.settings
        self.bucket = hardened_bucket(
            f"{name}-bucket",
            s,
            self,
            kms_key_arn=None,
            expire_days=ACCESS_LOG_DAYS,
            extra_statements=alb_delivery_statements(s.region),
        )
        # CloudFront standard logging writes with ACLs: object ownership must prefer the
        # bucket owner rather than disable ACLs.
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerPreferred"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_domain_name = self.bucket.bucket_domain_name
        self.register_outputs({"bucketName": self.bucket_name})
