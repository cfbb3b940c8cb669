"""The backup bucket for Kubernetes state exports and manual artefacts."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.buckets import hardened_bucket
from infra.security import kms_key
from infra.settings import Settings


@dataclass
class BackupVaultArgs:
    settings: Settings


class BackupVault(pulumi.ComponentResource):
    """A versioned, KMS-encrypted bucket that keeps every object at least the retention period."""

    def __init__(
        self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("commsec:backups:BackupVault", name, None, opts)
        s = args.settings
        self.key = kms_key(f"{name}-key", "commsec backup bucket encryption", s, self)
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/commsec-{s.environment}-backups",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket = hardened_bucket(
            f"{name}-bucket",
            s,
            self,
            kms_key_arn=self.key.arn,
            # Exports are dated prefixes; they age out after the database backups do, so a
            # restore never lacks the matching Kubernetes state.
            expire_days=max(s.backup_retention_days, 35) + 30,
            extra_statements=lambda arn: [
                {
                    "Sid": "DenyUnencryptedUploads",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/*",
                    "Condition": {
                        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                        "Null": {"s3:x-amz-server-side-encryption": "false"},
                    },
                }
            ],
        )
        self.bucket_name = self.bucket.bucket
        self.key_arn = self.key.arn
        self.register_outputs({"bucketName": self.bucket_name, "kmsKeyArn": self.key_arn})
