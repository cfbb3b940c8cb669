"""``backup snapshot``, ``backup restore`` and ``db failover`` when RDS's answer is late.

The fault proxy's late answer forwards the mutating call to moto at once (the change is made)
and holds the answer past the client's read timeout; its slow fault holds the call itself, so
it reaches moto only after the client gave up. With a second attempt allowed, botocore's retry
of a create finds the resource the first attempt made; with one attempt, the command cannot
know whether RDS acted and must say so, in its error and in the audit log.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest

from tests.ops.aws.conftest import AwsLab
from tests.servers.moto_server import set_db_state

DB = "commsec-postgres"
_LATE_S = 1.0  # past the read timeout below, bounded by the proxy


@pytest.fixture
def rds(lab: AwsLab, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A direct RDS client on moto, and a read timeout short enough for a late answer."""
    monkeypatch.setenv("COMMSEC_AWS_READ_TIMEOUT", "0.3")
    client = boto3.client("rds", endpoint_url=lab.moto.url, region_name="us-east-1")
    yield client
    set_db_state(DB, status="available", az="us-east-1a")


def _error(err: str) -> str:
    """The one ``Error:`` line of stderr, with no traceback anywhere."""
    [line] = [line for line in err.splitlines() if line.startswith("Error:")]
    assert "Traceback" not in err
    return line


def _snapshots(rds: object) -> list[str]:
    found = rds.describe_db_snapshots(DBInstanceIdentifier=DB, SnapshotType="manual")  # type: ignore[attr-defined]
    return [snap["DBSnapshotIdentifier"] for snap in found["DBSnapshots"]]


def _restore(lab: AwsLab, target: str) -> int:
    moment = datetime.now(UTC).isoformat()
    return lab.run(
        "backup", "restore", "--to", moment, "--target", target, "--yes", "--format", "json"
    )


def test_snapshot_whose_retry_finds_it_already_made_is_waited_for_and_audited(
    lab: AwsLab, rds, capsys
) -> None:
    before = set(_snapshots(rds))
    lab.moto_proxy.arm("late", match="Action=CreateDBSnapshot", times=1, delay_s=_LATE_S)
    assert lab.run("backup", "snapshot", "--yes", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    snap_id = doc["result"]["snapshot"]
    assert set(_snapshots(rds)) - before == {snap_id}
    assert lab.moto_proxy.count("Action=CreateDBSnapshot") == 2
    [warning] = doc["warnings"]
    assert warning == (
        f"CreateDBSnapshot {snap_id}: the first answer was lost and the retry found the change "
        "already made (DBSnapshotAlreadyExists), so this run's request landed"
    )
    [record] = lab.audit()
    assert record["result"] == "succeeded"
    assert record["after"]["snapshot"] == snap_id
    assert record["details"] == {"answer": warning}


def test_snapshot_whose_only_answer_is_lost_is_unknown_and_audited(
    lab: AwsLab, rds, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    before = set(_snapshots(rds))
    lab.moto_proxy.arm("late", match="Action=CreateDBSnapshot", times=1, delay_s=_LATE_S)
    assert lab.run("backup", "snapshot", "--yes") == 1
    err = _error(capsys.readouterr().err)
    [record] = lab.audit()
    snap_id = record["after"]["snapshot"]
    assert set(_snapshots(rds)) - before == {snap_id}  # it does exist
    assert err.startswith(
        f"Error: snapshot {snap_id} of {DB} (CreateDBSnapshot) was sent, but whether AWS made "
        f"it is unknown: CreateDBSnapshot {snap_id} timed out waiting for AWS"
    )
    assert err.endswith(
        f"(follow it with 'commsec backup list' or 'aws rds describe-db-snapshots "
        f"--db-snapshot-identifier {snap_id}' (re-running this command takes another snapshot))"
    )
    assert "run it again" not in err and "rejected" not in err
    assert record["result"].startswith(f"unknown: CreateDBSnapshot {snap_id} timed out")
    assert record["target"] == DB


def test_restore_whose_retry_finds_the_target_is_waited_for_and_audited(
    lab: AwsLab, rds, capsys
) -> None:
    lab.moto_proxy.arm(
        "late", match="Action=RestoreDBInstanceToPointInTime", times=1, delay_s=_LATE_S
    )
    assert _restore(lab, "restore-late") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"]["target"] == "restore-late" and doc["result"]["differences"] == {}
    assert lab.moto_proxy.count("Action=RestoreDBInstanceToPointInTime") == 2
    [warning] = doc["warnings"]
    assert "(DBInstanceAlreadyExists), so this run's request landed" in warning
    [record] = lab.audit()
    assert record["result"] == "succeeded" and record["target"] == "restore-late"
    assert record["details"]["answer"] == warning
    assert "restoreTime" in record["details"]


def test_restore_held_past_the_timeout_is_unknown_and_audited(
    lab: AwsLab, rds, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # held before it is forwarded: RDS gets the call only after the client gave up on it
    lab.moto_proxy.arm(
        "slow", match="Action=RestoreDBInstanceToPointInTime", times=1, delay_s=_LATE_S
    )
    assert _restore(lab, "restore-slow") == 1
    captured = capsys.readouterr()
    err = _error(captured.err)
    assert captured.out == ""
    assert (
        "into restore-slow (RestoreDBInstanceToPointInTime) was sent, but whether AWS made " in err
    )
    assert "timed out waiting for AWS" in err
    assert err.endswith(
        "(follow it with 'aws rds describe-db-instances --db-instance-identifier restore-slow' "
        "(re-running this command is refused while restore-slow exists))"
    )
    [record] = lab.audit()
    assert record["target"] == "restore-slow"
    assert record["result"].startswith(
        f"unknown: RestoreDBInstanceToPointInTime {DB} -> restore-slow timed out"
    )


def test_restore_whose_target_appears_before_its_call_is_not_taken_as_landed(
    lab: AwsLab, rds, capsys, monkeypatch
) -> None:
    # Someone else makes the target between the command's check and its call: RDS refuses
    # the first and only attempt, which proves nothing about this run's request.
    monkeypatch.setenv("COMMSEC_AWS_READ_TIMEOUT", "3")
    lab.moto_proxy.arm("slow", match="Action=RestoreDBInstanceToPointInTime", delay_s=0.5)

    def take_the_name() -> None:
        deadline = time.monotonic() + 5
        while lab.moto_proxy.count("Action=RestoreDBInstanceToPointInTime") == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        rds.restore_db_instance_to_point_in_time(  # type: ignore[attr-defined]
            SourceDBInstanceIdentifier=DB,
            TargetDBInstanceIdentifier="restore-taken",
            UseLatestRestorableTime=True,
        )

    other = threading.Thread(target=take_the_name, daemon=True)
    other.start()
    code = _restore(lab, "restore-taken")
    other.join(5)
    captured = capsys.readouterr()
    err = _error(captured.err)
    assert code == 2 and captured.out == ""
    assert "DBInstanceAlreadyExists" in err and "landed" not in err
    assert lab.moto_proxy.count("Action=RestoreDBInstanceToPointInTime") == 1
    [record] = lab.audit()
    assert record["result"].startswith(
        f"failed: RestoreDBInstanceToPointInTime {DB} -> restore-taken was rejected "
        "(DBInstanceAlreadyExists"
    )


def test_failover_whose_answer_is_lost_says_do_not_re_run_and_is_audited(
    lab: AwsLab, rds, capsys
) -> None:
    lab.moto_proxy.arm("late", match="Action=RebootDBInstance", times=2, delay_s=_LATE_S)
    assert lab.run("db", "failover", "--yes") == 1
    err = _error(capsys.readouterr().err)
    assert err.startswith(
        f"Error: the forced failover of {DB} (RebootDBInstance with ForceFailover, primary was "
        f"in us-east-1a) was sent, but whether AWS made it is unknown: RebootDBInstance {DB} "
        "with ForceFailover timed out waiting for AWS"
    )
    assert err.endswith(
        "(the failover may be in progress: do not re-run this command (a second failover moves "
        f"the primary back); follow it with 'commsec db check' and 'aws rds describe-events "
        f"--source-type db-instance --source-identifier {DB}')"
    )
    assert "run it again" not in err
    # sent once, never retried: a second forced failover would move the primary back
    assert lab.moto_proxy.count("Action=RebootDBInstance") == 1
    [record] = lab.audit()
    assert record["result"].startswith(f"unknown: RebootDBInstance {DB} with ForceFailover timed")
    assert record["before"] == {"az": "us-east-1a"} and record["after"] is None
