"""The backup bucket that holds Kubernetes state exports and manual artefacts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from infra.contract import BACKUP_RETENTION_DAYS
from policies.rules._base import (
    Config,
    Finding,
    dig,
    is_true,
    items,
    number,
    of_type,
    refers_to,
    stack_policy,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def backup_buckets(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    return [b for b in of_type(resources, *BUCKETS) if "backup" in b.name]


def _attached(
    resources: Sequence[PolicyResource], bucket: PolicyResource, types: tuple[str, ...]
) -> list[PolicyResource]:
    """Bucket sub-resources of ``types`` that configure ``bucket``.

    They point at the bucket by id, which offline is only the mock's id, so a sibling named
    after the bucket (``<bucket>-versioning``) under the same parent counts too.
    """
    return [
        r
        for r in of_type(resources, *types)
        if refers_to(dig(r.props, "bucket"), bucket) or r.name.startswith(f"{bucket.name}-")
    ]


def _versioned(configs: list[PolicyResource]) -> bool:
    return any(dig(c.props, "versioningConfiguration", "status") == "Enabled" for c in configs)


def _kms_encrypted(configs: list[PolicyResource]) -> bool:
    for config in configs:
        for rule in items(dig(config.props, "rules")):
            default = dig(rule, "applyServerSideEncryptionByDefault")
            key = dig(default, "kmsMasterKeyId")
            if dig(default, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and isinstance(key, str):
                return True
    return False


def _blocked(configs: list[PolicyResource]) -> bool:
    return any(all(is_true(dig(c.props, flag)) for flag in BLOCK_FLAGS) for c in configs)


def _denies_plain_http(policy: Any) -> bool:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    statements = dig(policy, "Statement")
    for statement in [statements] if isinstance(statements, dict) else items(statements):
        secure = dig(statement, "Condition", "Bool", "aws:SecureTransport")
        if dig(statement, "Effect") == "Deny" and str(secure).lower() == "false":
            return True
    return False


def _tls_only(configs: list[PolicyResource]) -> bool:
    return any(_denies_plain_http(dig(c.props, "policy")) for c in configs)


def _keeps_objects(configs: list[PolicyResource]) -> bool:
    """No enabled lifecycle rule expires current or old versions before the retention."""
    for config in configs:
        for rule in items(dig(config.props, "rules")):
            if dig(rule, "status") != "Enabled":
                continue
            for days in (
                number(dig(rule, "expiration", "days")),
                number(dig(rule, "noncurrentVersionExpiration", "noncurrentDays")),
            ):
                if days is not None and days < BACKUP_RETENTION_DAYS:
                    return False
    return bool(configs)


CHECKS = (
    (VERSIONING, _versioned, "is not versioned"),
    (ENCRYPTION, _kms_encrypted, "is not encrypted with a KMS key (sseAlgorithm aws:kms)"),
    (PUBLIC_ACCESS, _blocked, "does not block all four kinds of public access"),
    (POLICY, _tls_only, "has no policy denying requests without TLS (aws:SecureTransport)"),
    (
        LIFECYCLE,
        _keeps_objects,
        f"has no lifecycle configuration keeping objects at least {BACKUP_RETENTION_DAYS} days",
    ),
)


def check_backup_bucket(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    buckets = backup_buckets(resources)
    if not buckets:
        yield ("no backup bucket (an S3 bucket named *backup*) exists", None)
    for bucket in buckets:
        for types, passes, problem in CHECKS:
            if not passes(_attached(resources, bucket, types)):
                yield (f"backup bucket {bucket.name} {problem}", bucket.urn)


POLICIES = [
    stack_policy(
        name="backup-bucket-hardened",
        description=(
            "The backup bucket is versioned, KMS-encrypted, blocks public access, accepts only "
            f"TLS and keeps every object at least {BACKUP_RETENTION_DAYS} days, like the "
            "database backups it complements."
        ),
        remediation=(
            "Attach BucketVersioning, an SSE-KMS encryption configuration, a full public access "
            "block, a TLS-only bucket policy and a lifecycle of at least "
            f"{BACKUP_RETENTION_DAYS} days."
        ),
        checks=[check_backup_bucket],
    ),
]
