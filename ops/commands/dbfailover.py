"""``commsec db failover``: a forced Multi-AZ failover of the RDS instance, waited for.

Right after ``RebootDBInstance`` the instance still reports ``available`` for a while, so
"available" alone proves nothing: the wait ends only once the reboot has been seen (a status
other than ``available``, or the primary AZ changed) and the instance is available again.
"""

from __future__ import annotations

import argparse
from typing import Any

from ops.aws_wait import Submitted, send_change, wait_audited, wait_seconds
from ops.cli import Command
from ops.context import Context
from ops.errors import EscalateError
from ops.report import Report

_WAIT_S = 1200.0


def _add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=wait_seconds,
        default=_WAIT_S,
        help=f"seconds to wait for the failover (default: {_WAIT_S:.0f})",
    )


def failover(args: argparse.Namespace, ctx: Context) -> Report:
    from ops.aws_rds import describe_instance

    outputs = ctx.outputs()
    db = outputs.db_instance_identifier
    rds = ctx.aws("rds")
    instance = describe_instance(rds, db)
    if not instance.get("MultiAZ"):
        raise EscalateError(
            f"{db} is not Multi-AZ, so a forced failover has no standby to fail over to",
            hint="enable Multi-AZ on the instance first; a plain reboot is not a failover",
        )
    if instance.get("DBInstanceStatus") != "available":
        raise EscalateError(
            f"{db} is '{instance.get('DBInstanceStatus')}', not available",
            hint="wait until it is available, then run the failover",
        )
    before_az = instance.get("AvailabilityZone")
    call = {"call": "rds RebootDBInstance", "DBInstanceIdentifier": db, "ForceFailover": True}
    if ctx.dry_run:
        return Report(
            "db failover",
            {"dryRun": True, "calls": [call], "primaryAz": before_az},
            text=f"Would call RebootDBInstance(DBInstanceIdentifier={db}, ForceFailover=True); "
            f"primary now in {before_az}",
        )
    ctx.confirm(f"force a failover of {db} (primary now in {before_az})")

    ctx.prefetch_operator()
    change = Submitted(
        what=f"the forced failover of {db} (RebootDBInstance with ForceFailover, primary "
        f"was in {before_az})",
        follow="the failover may be in progress: do not re-run this command (a second failover "
        f"moves the primary back); follow it with 'commsec db check' and 'aws rds "
        f"describe-events --source-type db-instance --source-identifier {db}'",
        audit={"target": db, "before": {"az": before_az}, "after": None},
    )
    # Never retried: a second forced failover would move the primary back.
    once = ctx.aws("rds", attempts=1)
    send_change(
        ctx,
        change,
        lambda: once.reboot_db_instance(DBInstanceIdentifier=db, ForceFailover=True),
        action=f"RebootDBInstance {db} with ForceFailover",
    )

    seen: dict[str, Any] = {"rebooted": False, "az": before_az}

    def poll() -> tuple[bool, str]:
        current = describe_instance(rds, db)
        status = str(current.get("DBInstanceStatus"))
        seen["az"] = current.get("AvailabilityZone")
        if status != "available" or seen["az"] != before_az:
            seen["rebooted"] = True
        label = status if seen["rebooted"] else f"{status} (reboot not started yet)"
        return seen["rebooted"] and status == "available", label

    wait_audited(
        ctx,
        poll,
        what=f"failover of {db}",
        timeout_s=args.timeout,
        interval_s=5.0,
        change=change,
    )
    after_az = seen["az"]
    moved = after_az != before_az
    audit = ctx.record_audit(
        target=db,
        before={"az": before_az},
        after={"az": after_az},
        result="succeeded" if moved else "rebooted, primary AZ unchanged",
    )
    text = f"{db} failed over: primary {before_az} -> {after_az}; instance available."
    if not moved:
        text = (
            f"{db} rebooted but its primary is still in {before_az}: the failover did not "
            "move it. Check the standby's health in the RDS events."
        )
    data = {"instance": db, "azBefore": before_az, "azAfter": after_az, "moved": moved}
    return Report("db failover", data, text=text, ok=moved, audit=audit)


COMMANDS = {"failover": Command(_add_args, failover, mutating=True)}
