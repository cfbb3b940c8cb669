"""``commsec db failover`` and ``commsec backup snapshot|list|restore`` against moto."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest

from ops.aws_rds import parse_restore_time
from ops.errors import InputError
from tests.ops.aws.conftest import AwsLab
from tests.servers.moto_server import set_db_state

DB = "commsec-postgres"


@pytest.fixture
def rds(lab: AwsLab) -> Iterator[object]:
    client = boto3.client("rds", endpoint_url=lab.moto.url, region_name="us-east-1")
    yield client
    set_db_state(DB, status="available", az="us-east-1a")
    client.modify_db_instance(DBInstanceIdentifier=DB, MultiAZ=True, ApplyImmediately=True)


def _fail_over_after_reboot(
    lab: AwsLab, *, new_az: str | None, hold_s: float = 0.3
) -> threading.Thread:
    """Play RDS: once the reboot call arrives, report 'rebooting', then available in new_az.

    moto answers RebootDBInstance and changes nothing, so without this the instance would
    stay 'available' in its old AZ, which is exactly what the command must not take for done.
    """

    def play() -> None:
        deadline = time.monotonic() + 10
        while lab.moto_proxy.count("Action=RebootDBInstance") == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        time.sleep(0.1)  # RDS keeps saying 'available' for a while after the call
        set_db_state(DB, status="rebooting")
        time.sleep(hold_s)
        set_db_state(DB, status="available", az=new_az)

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    return thread


def test_failover_waits_for_the_real_reboot_and_reports_both_azs(lab: AwsLab, rds, capsys):
    player = _fail_over_after_reboot(lab, new_az="us-east-1b")
    started = time.monotonic()
    assert lab.run("db", "failover", "--yes", "--format", "json") == 0
    elapsed = time.monotonic() - started
    player.join(5)
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"] == {
        "instance": DB,
        "azBefore": "us-east-1a",
        "azAfter": "us-east-1b",
        "moved": True,
    }
    assert elapsed >= 0.35  # it did not stop at the 'available' seen right after the call
    assert doc["audit"]["before"] == {"az": "us-east-1a"}
    assert doc["audit"]["after"] == {"az": "us-east-1b"}


def test_failover_that_does_not_move_the_primary_fails(lab: AwsLab, rds, capsys):
    _fail_over_after_reboot(lab, new_az=None)  # reboots, but the primary stays put
    assert lab.run("db", "failover", "--yes") == 1
    assert "still in us-east-1a" in capsys.readouterr().out


def test_failover_times_out_when_no_reboot_is_ever_seen(lab: AwsLab, rds, capsys):
    assert lab.run("db", "failover", "--yes", "--timeout", "0.5") == 1
    err = capsys.readouterr().err
    assert "reboot not started yet" in err and "timeout" in err
    assert lab.audit()[0]["result"].startswith("failed:")


def test_failover_refuses_a_single_az_instance(lab: AwsLab, rds, capsys):
    rds.modify_db_instance(DBInstanceIdentifier=DB, MultiAZ=False, ApplyImmediately=True)
    assert lab.run("db", "failover", "--yes") == 1
    assert "is not Multi-AZ" in capsys.readouterr().err
    assert lab.moto_proxy.count("Action=RebootDBInstance") == 0


def test_two_snapshots_in_one_second_do_not_collide(lab: AwsLab, rds, capsys, monkeypatch):
    monkeypatch.setenv("COMMSEC_NOW", "2026-03-02T01:00:00+00:00")
    assert lab.run("backup", "snapshot", "--yes", "--format", "json") == 0
    first = json.loads(capsys.readouterr().out)["result"]["snapshot"]
    assert lab.run("backup", "snapshot", "--yes", "--format", "json") == 0
    second = json.loads(capsys.readouterr().out)["result"]["snapshot"]
    assert first != second
    for name in (first, second):
        assert re.fullmatch(r"commsec-postgres-manual-20260302-010000-[0-9a-f]{6}", name)
        [snap] = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"]
        assert snap["Status"] == "available"
        tags = {t["Key"]: t["Value"] for t in snap["TagList"]}
        assert tags["created-by"] == "commsec backup snapshot"
    assert [r["result"] for r in lab.audit()] == ["succeeded", "succeeded"]


def test_list_shows_manual_and_automated_and_the_window(lab: AwsLab, rds, capsys):
    assert lab.run("backup", "snapshot", "--yes", "--reason", "pre-release") == 0
    capsys.readouterr()
    assert lab.run("backup", "list", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)["result"]
    assert {"manual", "automated"} <= {s["type"] for s in doc["snapshots"]}
    window = doc["restorableWindow"]
    assert window["estimated"] is True  # moto gives no RestoreWindow
    assert datetime.fromisoformat(window["earliest"]) <= datetime.fromisoformat(window["latest"])


def test_restore_keeps_the_source_settings(lab: AwsLab, rds, capsys):
    moment = datetime.now(UTC).isoformat()
    assert (
        lab.run(
            "backup",
            "restore",
            "--to",
            moment,
            "--target",
            "restore-ok",
            "--yes",
            "--format",
            "json",
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)["result"]
    assert doc["differences"] == {}
    [new] = rds.describe_db_instances(DBInstanceIdentifier="restore-ok")["DBInstances"]
    assert new["DBSubnetGroup"]["DBSubnetGroupName"] == "commsec-db"
    assert new["DBParameterGroups"][0]["DBParameterGroupName"] == "commsec-pg16"
    assert new["MultiAZ"] is True and new["DeletionProtection"] is True
    assert new["StorageEncrypted"] is True
    assert lab.audit()[0]["result"] == "succeeded"
    # moto copies every setting of the source into a restore by itself, unlike RDS: check
    # the request carried them explicitly
    [request] = lab.moto_proxy.requests("Action=RestoreDBInstanceToPointInTime")
    for field in (
        "DBSubnetGroupName=commsec-db",
        "DBParameterGroupName=commsec-pg16",
        "MultiAZ=true",
        "DeletionProtection=true",
        "VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-",
    ):
        assert field in request


def test_restore_that_lost_a_setting_is_a_failure(lab: AwsLab, rds, capsys):
    def drop_protection() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                set_db_state("restore-lost", deletion_protection=False)
                return
            except KeyError:  # not created yet
                time.sleep(0.02)

    # hold the first look at the new instance until the setting has been dropped
    describe = "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=restore-lost"
    lab.moto_proxy.arm("slow", match=describe, times=3, delay_s=0.3)
    player = threading.Thread(target=drop_protection, daemon=True)
    player.start()
    moment = datetime.now(UTC).isoformat()
    assert lab.run("backup", "restore", "--to", moment, "--target", "restore-lost", "--yes") == 1
    player.join(5)
    out = capsys.readouterr().out
    assert "DeletionProtection: source True, restored False" in out
    assert lab.audit()[0]["result"] == "restored with different settings"


def test_restore_outside_the_window_names_both_bounds(lab: AwsLab, rds, capsys):
    assert lab.run("backup", "restore", "--to", "2020-01-01T00:00:00+00:00", "--yes") == 2
    err = capsys.readouterr().err
    assert re.search(r"outside the restorable window of commsec-postgres: \S+ \.\. \S+", err)
    assert lab.moto_proxy.count("RestoreDBInstanceToPointInTime") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "yesterday"], "is not an ISO 8601 time"),
        (["--to", "2026-01-30T12:00:00"], "has no UTC offset"),
        (["--to", "2026-01-30T12:00", "--tz", "Mars/Olympus"], "not a known time zone"),
        (["--to", "2026-01-30T12:00+11:00", "--tz", "Australia/Sydney"], "not both"),
        (["--to", "2026-01-30T12:00Z", "--target", "bad--name"], "not a valid RDS instance"),
    ],
)
def test_bad_restore_times_are_exit_2(lab: AwsLab, rds, capsys, argv, message):
    assert lab.run("backup", "restore", *argv, "--yes") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and message in err and "\n" not in err


def test_sydney_local_time_becomes_utc() -> None:
    summer = parse_restore_time("2026-01-30T12:00", "Australia/Sydney")
    assert summer == datetime(2026, 1, 30, 1, 0, tzinfo=UTC)  # AEDT, UTC+11
    winter = parse_restore_time("2026-06-30T12:00", "Australia/Sydney")
    assert winter == datetime(2026, 6, 30, 2, 0, tzinfo=UTC)  # AEST, UTC+10
    with pytest.raises(InputError, match="ambiguous or skipped"):
        parse_restore_time("2026-04-05T02:30", "Australia/Sydney")  # repeated hour
    with pytest.raises(InputError, match="ambiguous or skipped"):
        parse_restore_time("2026-10-04T02:30", "Australia/Sydney")  # skipped hour
