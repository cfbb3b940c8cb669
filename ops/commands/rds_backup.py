"""``commsec backup snapshot|list|restore``: RDS snapshots and point-in-time restore.

A bare ``restore-db-instance-to-point-in-time`` puts the new instance in the default subnet
group and security group with the default parameter group and without Multi-AZ or deletion
protection. The restore here passes the source's settings explicitly and checks afterwards
that the new instance really has them.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from ops.aws_wait import (
    OperationFailed,
    Submitted,
    following,
    send_change,
    wait_audited,
    wait_seconds,
)
from ops.cli import Command
from ops.context import Context
from ops.errors import InputError, aws_errors
from ops.report import Report, table

_SNAPSHOT_WAIT_S = 3600.0
_RESTORE_WAIT_S = 5400.0


def _wait_for_instance(
    ctx: Context, rds: Any, identifier: str, timeout_s: float, change: Submitted
) -> None:
    from ops.aws_rds import describe_instance

    def poll() -> tuple[bool, str]:
        status = str(describe_instance(rds, identifier).get("DBInstanceStatus"))
        if status in ("failed", "incompatible-restore", "incompatible-parameters"):
            raise OperationFailed(
                f"{identifier} ended in status '{status}'",
                hint="see 'aws rds describe-events' for the reason",
            )
        return status == "available", status

    wait_audited(
        ctx,
        poll,
        what=f"restoring {identifier}",
        timeout_s=timeout_s,
        interval_s=15.0,
        change=change,
    )


# --- snapshot ------------------------------------------------------------------------------


def _add_snapshot_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reason",
        default="manual",
        help="kept as the snapshot's reason tag: at most 256 letters, digits, spaces and "
        "_ . : / = + - @",
    )
    parser.add_argument(
        "--timeout",
        type=wait_seconds,
        default=_SNAPSHOT_WAIT_S,
        help=f"seconds to wait until the snapshot is available (default: {_SNAPSHOT_WAIT_S:.0f})",
    )


def snapshot(args: argparse.Namespace, ctx: Context) -> Report:
    from ops.aws_rds import snapshot_identifier, tag_value

    reason = tag_value(args.reason, option="--reason")
    outputs = ctx.outputs()
    db = outputs.db_instance_identifier
    snap_id = snapshot_identifier(db, ctx.now())
    tags = [
        {"Key": "created-by", "Value": "commsec backup snapshot"},
        {"Key": "reason", "Value": reason},
        {"Key": "source-instance", "Value": db},
    ]
    call = {
        "call": "rds CreateDBSnapshot",
        "DBInstanceIdentifier": db,
        "DBSnapshotIdentifier": snap_id,
        "Tags": tags,
    }
    if ctx.dry_run:
        return Report(
            "backup snapshot",
            {"dryRun": True, "calls": [call]},
            text=f"Would call CreateDBSnapshot(DBInstanceIdentifier={db}, "
            f"DBSnapshotIdentifier={snap_id}, Tags={tags})",
        )
    ctx.confirm(f"take manual snapshot {snap_id} of {db}")

    rds = ctx.aws("rds")
    ctx.prefetch_operator()
    change = Submitted(
        what=f"snapshot {snap_id} of {db} (CreateDBSnapshot)",
        follow="follow it with 'commsec backup list' or 'aws rds describe-db-snapshots "
        f"--db-snapshot-identifier {snap_id}' (re-running this command takes another snapshot)",
        audit={"target": db, "before": None, "after": {"snapshot": snap_id}},
    )
    # The identifier is new to this run, so only this run's first attempt can have made it.
    lost = send_change(
        ctx,
        change,
        lambda: rds.create_db_snapshot(
            DBInstanceIdentifier=db, DBSnapshotIdentifier=snap_id, Tags=tags
        ),
        action=f"CreateDBSnapshot {snap_id}",
        landed_if="DBSnapshotAlreadyExists",
    )

    def poll() -> tuple[bool, str]:
        with aws_errors(f"DescribeDBSnapshots {snap_id}"):
            snap = rds.describe_db_snapshots(DBSnapshotIdentifier=snap_id)["DBSnapshots"][0]
        status = str(snap.get("Status"))
        if status in ("failed", "error"):
            raise OperationFailed(
                f"snapshot {snap_id} ended '{status}'",
                hint="see 'aws rds describe-events --source-type db-snapshot'",
            )
        progress = snap.get("PercentProgress")
        return status == "available", f"{status} {progress}%" if progress is not None else status

    wait_audited(
        ctx,
        poll,
        what=f"snapshot {snap_id}",
        timeout_s=args.timeout,
        interval_s=15.0,
        change=change,
    )
    audit = ctx.record_audit(
        target=db,
        before=None,
        after={"snapshot": snap_id, "tags": tags},
        result="succeeded",
        details=change.audit.get("details"),
    )
    return Report(
        "backup snapshot",
        {"snapshot": snap_id, "instance": db, "tags": tags},
        text=f"Snapshot {snap_id} of {db} is available.",
        audit=audit,
        warnings=[lost] if lost else [],
    )


# --- list ----------------------------------------------------------------------------------


def _add_list_args(parser: argparse.ArgumentParser) -> None:
    return None


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else "-"


def list_backups(args: argparse.Namespace, ctx: Context) -> Report:
    from ops.aws_rds import describe_instance, restorable_window

    outputs = ctx.outputs()
    db = outputs.db_instance_identifier
    rds = ctx.aws("rds")
    with aws_errors(f"DescribeDBSnapshots of {db}"):
        snapshots = [
            snap
            for kind in ("manual", "automated")
            for page in rds.get_paginator("describe_db_snapshots").paginate(
                DBInstanceIdentifier=db, SnapshotType=kind
            )
            for snap in page["DBSnapshots"]
        ]
    window = restorable_window(rds, describe_instance(rds, db))

    snapshots.sort(key=lambda s: s.get("SnapshotCreateTime") or datetime.min, reverse=True)
    rows = [
        {
            "id": s["DBSnapshotIdentifier"],
            "type": s.get("SnapshotType"),
            "status": s.get("Status"),
            "created": _when(s.get("SnapshotCreateTime")),
            "encrypted": s.get("Encrypted"),
        }
        for s in snapshots
    ]
    shown = [[r["id"], r["type"], r["status"], r["created"], r["encrypted"]] for r in rows]
    estimate = " (estimated from retention)" if window.estimated else ""
    text = (
        table(["SNAPSHOT", "TYPE", "STATUS", "CREATED (UTC)", "ENCRYPTED"], shown)
        + f"\n\nRestorable window of {db}: {_when(window.earliest)} .. "
        f"{_when(window.latest)}{estimate}"
    )
    return Report(
        "backup list", {"snapshots": rows, "restorableWindow": window.as_dict()}, text=text
    )


# --- restore -------------------------------------------------------------------------------


def _add_restore_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        metavar="TIME",
        help="ISO 8601 time with offset, or local time with --tz",
    )
    parser.add_argument(
        "--tz", default=None, help="time zone of a local --to, e.g. Australia/Sydney"
    )
    parser.add_argument("--target", default=None, help="name of the new instance")
    parser.add_argument(
        "--timeout",
        type=wait_seconds,
        default=_RESTORE_WAIT_S,
        help="seconds to wait until the new instance is available "
        f"(default: {_RESTORE_WAIT_S:.0f})",
    )


def _kept_settings(instance: dict[str, Any]) -> dict[str, Any]:
    """The settings of an instance that a restore must carry over."""
    groups = instance.get("DBParameterGroups") or [{}]
    return {
        "DBSubnetGroupName": (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        "VpcSecurityGroupIds": sorted(
            g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])
        ),
        "DBParameterGroupName": groups[0].get("DBParameterGroupName"),
        "MultiAZ": bool(instance.get("MultiAZ")),
        "StorageEncrypted": bool(instance.get("StorageEncrypted")),
        "KmsKeyId": instance.get("KmsKeyId"),
        "DeletionProtection": bool(instance.get("DeletionProtection")),
    }


def _valid_identifier(name: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}", name) or name.endswith("-"):
        raise InputError(
            f"--target {name!r} is not a valid RDS instance identifier",
            hint="1-63 letters, digits or single hyphens, starting with a letter",
        )
    return name


def restore(args: argparse.Namespace, ctx: Context) -> Report:
    from ops.aws_rds import (
        describe_instance,
        instance_exists,
        parse_restore_time,
        restorable_window,
    )

    outputs = ctx.outputs()
    db = outputs.db_instance_identifier
    moment = parse_restore_time(args.to, args.tz)
    target = _valid_identifier(args.target or f"{db}-pitr-{moment:%Y%m%d-%H%M}")
    rds = ctx.aws("rds")
    source = describe_instance(rds, db)
    window = restorable_window(rds, source)
    if not window.earliest <= moment <= window.latest:
        raise InputError(
            f"--to {moment.isoformat()} is outside the restorable window of {db}: "
            f"{window.earliest.isoformat(timespec='seconds')} .. "
            f"{window.latest.isoformat(timespec='seconds')}",
            hint="pick a time inside the window (see 'commsec backup list')",
        )
    if instance_exists(rds, target):
        raise InputError(
            f"--target {target} already exists",
            hint="pass another --target name, or delete the old restore first",
        )

    kept = _kept_settings(source)
    request = {
        "SourceDBInstanceIdentifier": db,
        "TargetDBInstanceIdentifier": target,
        "RestoreTime": moment,
        "DBSubnetGroupName": kept["DBSubnetGroupName"],
        "VpcSecurityGroupIds": kept["VpcSecurityGroupIds"],
        "DBParameterGroupName": kept["DBParameterGroupName"],
        "MultiAZ": kept["MultiAZ"],
        "DeletionProtection": kept["DeletionProtection"],
        "DBInstanceClass": source.get("DBInstanceClass"),
        "PubliclyAccessible": bool(source.get("PubliclyAccessible")),
        "CopyTagsToSnapshot": bool(source.get("CopyTagsToSnapshot")),
        "Tags": [
            {"Key": "restored-from", "Value": db},
            {"Key": "restore-time", "Value": moment.isoformat()},
        ],
    }
    # NOTE: a point-in-time restore always inherits the source's storage encryption and KMS
    # key (the API has no parameter to change them), so they are verified, not passed.
    request = {k: v for k, v in request.items() if v is not None}
    shown_request = {**request, "RestoreTime": moment.isoformat()}
    if ctx.dry_run:
        return Report(
            "backup restore",
            {
                "dryRun": True,
                "calls": [{"call": "rds RestoreDBInstanceToPointInTime", **shown_request}],
            },
            text=f"Would call RestoreDBInstanceToPointInTime({shown_request})",
        )
    ctx.confirm(f"restore {db} as of {moment.isoformat()} into a new instance {target}")

    ctx.prefetch_operator()
    change = Submitted(
        what=f"the restore of {db} as of {moment.isoformat()} into {target} "
        "(RestoreDBInstanceToPointInTime)",
        follow="follow it with 'aws rds describe-db-instances --db-instance-identifier "
        f"{target}' (re-running this command is refused while {target} exists)",
        audit={
            "target": target,
            "before": {"source": db, "settings": kept},
            "after": None,
            "details": {"restoreTime": moment.isoformat()},
        },
    )
    # The target was checked to be free above, so an instance by that name on a retry is the
    # one the first attempt started.
    lost = send_change(
        ctx,
        change,
        lambda: rds.restore_db_instance_to_point_in_time(**request),
        action=f"RestoreDBInstanceToPointInTime {db} -> {target}",
        landed_if="DBInstanceAlreadyExists",
    )
    _wait_for_instance(ctx, rds, target, args.timeout, change)
    with following(ctx, change):
        restored = _kept_settings(describe_instance(rds, target))
    differences = {
        k: {"source": kept[k], "restored": restored[k]} for k in kept if kept[k] != restored[k]
    }
    audit = ctx.record_audit(
        target=target,
        before={"source": db, "settings": kept},
        after=restored,
        result="succeeded" if not differences else "restored with different settings",
        details=change.audit["details"],
    )
    lines = [f"{target} restored from {db} as of {moment.isoformat()} and available."]
    if differences:
        lines.append("Settings that differ from the source (fix them before using it):")
        lines += [
            f"  {k}: source {v['source']!r}, restored {v['restored']!r}"
            for k, v in differences.items()
        ]
    else:
        lines.append(
            "Subnet group, security groups, parameter group, Multi-AZ, encryption and "
            "deletion protection match the source."
        )
    data = {
        "target": target,
        "restoreTime": moment.isoformat(),
        "settings": restored,
        "differences": differences,
    }
    return Report(
        "backup restore",
        data,
        text="\n".join(lines),
        ok=not differences,
        audit=audit,
        warnings=[lost] if lost else [],
    )


COMMANDS = {
    "snapshot": Command(_add_snapshot_args, snapshot, mutating=True),
    "list": Command(_add_list_args, list_backups),
    "restore": Command(_add_restore_args, restore, mutating=True),
}
