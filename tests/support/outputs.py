"""A complete, valid stack-outputs document for tests to start from and override."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"


def sample_outputs(**overrides: Any) -> dict[str, Any]:
    """Outputs shaped exactly like ``pulumi stack output --json --show-secrets``."""
    lb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app"
    tg = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup"
    document: dict[str, Any] = {
        "region": REGION,
        "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "availabilityZoneIds": ["use1-az1", "use1-az2", "use1-az4"],
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "clusterName": "commsec-cluster",
        "kubeconfig": json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": []}),
        "webNodeGroupName": "web-tier-nodes",
        "appNodeGroupName": "app-tier-nodes",
        "webAlbArn": f"{lb}/commsec-web-alb/50dc6c495c0c9188",
        "webAlbDnsName": "commsec-web-alb-1234567890.us-east-1.elb.amazonaws.com",
        "webTargetGroupArns": [f"{tg}/commsec-web-tg/73e2d6bc24d8a067"],
        "appAlbArn": f"{lb}/commsec-app-alb/6d0ecf831eec9f09",
        "appAlbDnsName": "internal-commsec-app-alb-987654321.us-east-1.elb.amazonaws.com",
        "appTargetGroupArns": [f"{tg}/commsec-app-tg/2453ed029918f21f"],
        "cloudfrontDistributionId": "E2QWRUHAPOMQZL",
        "cloudfrontDomainName": "d111111abcdef8.cloudfront.net",
        "dbInstanceIdentifier": "commsec-postgres",
        "dbEndpoint": "commsec-postgres.abcdefghijkl.us-east-1.rds.amazonaws.com",
        "dbPort": 5432,
        "dbName": "commsec",
        "dbMasterUserSecretArn": (
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-0123-abcdef"
        ),
        "alertsTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:commsec-alerts",
        "backupBucketName": "commsec-backups-prod",
        "backupKmsKeyArn": (
            f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
        "namespace": "commsec",
    }
    document.update(overrides)
    return document


def write_outputs(path: Path, **overrides: Any) -> Path:
    path.write_text(json.dumps(sample_outputs(**overrides)), encoding="utf-8")
    return path
