"""``--dry-run`` prints the exact mutating call and makes none; nothing is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.ops.aws.conftest import AwsLab


@pytest.mark.parametrize(
    ("argv", "call", "fields", "mutation"),
    [
        (
            ["scale", "nodegroup", "app", "--desired", "5"],
            "eks UpdateNodegroupConfig",
            {
                "nodegroupName": "app-tier-nodes",
                "scalingConfig": {"minSize": 3, "maxSize": 10, "desiredSize": 5},
            },
            "/update-config",
        ),
        (
            ["db", "failover"],
            "rds RebootDBInstance",
            {"DBInstanceIdentifier": "commsec-postgres", "ForceFailover": True},
            "Action=RebootDBInstance",
        ),
        (
            ["backup", "snapshot"],
            "rds CreateDBSnapshot",
            {"DBInstanceIdentifier": "commsec-postgres"},
            "Action=CreateDBSnapshot",
        ),
        (
            ["backup", "restore", "--to", "now", "--target", "dry-restore"],
            "rds RestoreDBInstanceToPointInTime",
            {
                "SourceDBInstanceIdentifier": "commsec-postgres",
                "DBSubnetGroupName": "commsec-db",
                "MultiAZ": True,
                "DeletionProtection": True,
            },
            "Action=RestoreDBInstanceToPointInTime",
        ),
    ],
)
def test_dry_run_shows_the_call_and_changes_nothing(
    lab: AwsLab, capsys, argv, call, fields, mutation
) -> None:
    argv = [datetime.now(UTC).isoformat() if a == "now" else a for a in argv]
    assert lab.run(*argv, "--dry-run", "--format", "json") == 0
    [shown] = json.loads(capsys.readouterr().out)["result"]["calls"]
    assert shown["call"] == call
    assert {k: shown[k] for k in fields} == fields
    assert lab.moto_proxy.count(mutation) == 0
    assert lab.audit() == []


def test_cancel_of_one_lb_leaves_the_other(lab: AwsLab, capsys) -> None:
    lab.existing_shift("web", "us-east-1a")
    lab.existing_shift("app", "us-east-1a")
    assert lab.run("shift", "cancel", "--lb", "app", "--yes") == 0
    active = [s.resource for s in lab.arc.emulator.state.shifts if s.status == "ACTIVE"]
    assert active == [lab.outputs["webAlbArn"]]
