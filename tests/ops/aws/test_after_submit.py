"""A failure after a change was sent to AWS is exit 1 and says what was submitted, the state
last seen and how to follow it; the audit record says "submitted; wait failed"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.ops.aws.conftest import AwsLab
from tests.servers.moto_server import set_db_state

DB = "commsec-postgres"


def _error(err: str) -> str:
    """The one ``Error:`` line of stderr (progress lines of the wait come before it)."""
    [line] = [line for line in err.splitlines() if line.startswith("Error:")]
    assert "Traceback" not in err
    return line


@pytest.fixture
def rds(lab: AwsLab) -> Iterator[None]:
    yield None
    set_db_state(DB, status="available", az="us-east-1a")


def _in_progress(lab: AwsLab, times: int) -> None:
    lab.moto_proxy.route(
        match="eks:DescribeUpdate",
        times=times,
        payload={"update": {"id": "u-1", "status": "InProgress", "type": "ConfigUpdate"}},
    )


@pytest.mark.parametrize(("seen", "in_progress"), [("nothing yet", 0), ("InProgress", 2)])
def test_describe_update_not_found_after_the_resize_is_exit_1(
    lab: AwsLab, eks, capsys, seen: str, in_progress: int
) -> None:
    # moto has no DescribeUpdate: past the routed answers it answers 404, as EKS would for an
    # update it no longer knows. The resize itself has been applied by then.
    _in_progress(lab, in_progress)
    assert lab.run("scale", "nodegroup", "web", "--desired", "5", "--yes") == 1
    err = _error(capsys.readouterr().err)
    [record] = lab.audit()
    update_id = record["details"]["updateId"]
    assert err.startswith(f"Error: EKS update {update_id} of web-tier-nodes in commsec-cluster ")
    assert "(min 3, desired 5, max 10) was submitted, but waiting for it failed" in err
    assert f"DescribeUpdate {update_id} failed: not found" in err
    assert f"last state seen: {seen}" in err
    assert (
        "follow it with 'aws eks describe-update --name commsec-cluster --nodegroup-name "
        f"web-tier-nodes --update-id {update_id}', or re-run this command: it is idempotent"
    ) in err
    assert "check the stack outputs" not in err
    assert record["result"].startswith("failed: submitted; wait failed: DescribeUpdate")
    assert record["details"]["lastSeen"] == (None if seen == "nothing yet" else seen)
    assert record["details"]["asked"] == {"minSize": 3, "maxSize": 10, "desiredSize": 5}
    assert lab.moto_proxy.count("eks:UpdateNodegroupConfig") == 1


def test_unreadable_node_group_after_a_successful_update_is_exit_1(
    lab: AwsLab, eks, capsys
) -> None:
    lab.moto_proxy.route(
        match="eks:DescribeUpdate",
        payload={"update": {"id": "u-1", "status": "Successful", "type": "ConfigUpdate"}},
    )
    # the first DescribeNodegroup (before the change) answers; the one after it is throttled
    lab.moto_proxy.arm("throttle", match="eks:DescribeNodegroup", skip=1)
    assert lab.run("scale", "nodegroup", "web", "--desired", "5", "--yes") == 1
    err = _error(capsys.readouterr().err)
    assert "was submitted, but waiting for it failed: DescribeNodegroup web-tier-nodes was" in err
    assert "last state seen: Successful" in err
    assert lab.audit()[0]["result"].startswith("failed: submitted; wait failed:")


def test_failover_whose_describe_fails_after_the_reboot_is_exit_1(lab: AwsLab, rds, capsys):
    # the look before the reboot answers; every look after it fails on the AWS side
    lab.moto_proxy.arm("5xx", match="Action=DescribeDBInstances", skip=1)
    assert lab.run("db", "failover", "--yes") == 1
    err = _error(capsys.readouterr().err)
    assert err.startswith(
        "Error: the forced failover of commsec-postgres (RebootDBInstance with ForceFailover, "
        "primary was in us-east-1a) was submitted, but waiting for it failed: "
        "DescribeDBInstances commsec-postgres failed on the AWS side"
    )
    assert "last state seen: nothing yet" in err
    assert "aws rds describe-events --source-type db-instance" in err
    assert "do not re-run this command" in err
    assert lab.moto_proxy.count("Action=RebootDBInstance") == 1
    [record] = lab.audit()
    assert record["result"].startswith("failed: submitted; wait failed: DescribeDBInstances")
    assert record["before"] == {"az": "us-east-1a"}


def test_snapshot_whose_describe_answer_is_garbage_is_exit_1(lab: AwsLab, capsys) -> None:
    # JSON where RDS speaks XML: botocore raises a parser error outside its own hierarchy
    lab.moto_proxy.route(
        match="Action=DescribeDBSnapshots", status=404, payload={"message": "gone"}
    )
    assert lab.run("backup", "snapshot", "--yes") == 1
    err = _error(capsys.readouterr().err)
    [record] = lab.audit()
    snap_id = record["after"]["snapshot"]
    assert err.startswith(
        f"Error: snapshot {snap_id} of commsec-postgres (CreateDBSnapshot) was submitted, but "
        "waiting for it failed: "
    )
    assert "could not be read" in err
    assert f"describe-db-snapshots --db-snapshot-identifier {snap_id}" in err
    assert "internal error" not in err
    assert record["result"].startswith("failed: submitted; wait failed: ")


def test_restore_whose_new_instance_cannot_be_read_is_exit_1(lab: AwsLab, rds, capsys) -> None:
    moment = datetime.now(UTC).isoformat()
    # the target-name check (not found) answers; the wait's looks at the new instance fail
    describe = "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=restore-unseen"
    lab.moto_proxy.arm("5xx", match=describe, skip=1)
    assert (
        lab.run(
            "backup",
            "restore",
            "--to",
            moment,
            "--target",
            "restore-unseen",
            "--yes",
            "--format",
            "json",
        )
        == 1
    )
    captured = capsys.readouterr()
    err = _error(captured.err)
    assert captured.out == ""
    assert "Error: the restore of commsec-postgres as of " in err
    assert "into restore-unseen (RestoreDBInstanceToPointInTime) was submitted" in err
    assert "DescribeDBInstances restore-unseen failed on the AWS side" in err
    assert "aws rds describe-db-instances --db-instance-identifier restore-unseen" in err
    [record] = lab.audit()
    assert record["target"] == "restore-unseen"
    assert record["result"].startswith("failed: submitted; wait failed:")
    assert json.dumps(record)  # a plain record, written before the error
