"""``commsec scale nodegroup NAME --desired N [--min N] [--max N]``: resize a managed node group.

The live scaling configuration is read first, so a partial change (only ``--desired``) keeps
the other bounds, and every combination is checked before EKS is called: EKS itself rejects
``min > desired`` only after the request, and a lowered minimum must never drag the desired
size below it.
"""

from __future__ import annotations

import argparse
from typing import Any

from infra.contract import NODE_GROUP_MAX_FLOOR, NODE_GROUP_MIN_FLOOR, NODE_GROUP_SIZE_QUOTA
from ops.aws_wait import OperationFailed, Submitted, following, wait_audited, wait_seconds
from ops.cli import Command
from ops.context import Context
from ops.errors import InputError, aws_errors
from ops.report import Report

_WAIT_S = 900.0


# The EKS quota of nodes per managed node group; the stack settings use the same cap.
_MAX_NODES = NODE_GROUP_SIZE_QUOTA


def _node_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of nodes") from None
    if not 0 <= count <= _MAX_NODES:
        raise argparse.ArgumentTypeError(
            f"{count} is outside 0..{_MAX_NODES} (the EKS limit of nodes per managed node group)"
        )
    return count


def _add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="node group: web-tier-nodes, app-tier-nodes (or web, app)")
    parser.add_argument(
        "--desired", type=_node_count, required=True, help="desired number of nodes"
    )
    parser.add_argument("--min", type=_node_count, default=None, help="new minimum (default: keep)")
    parser.add_argument("--max", type=_node_count, default=None, help="new maximum (default: keep)")
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"allow going below the floor of {NODE_GROUP_MIN_FLOOR} nodes "
        f"(or a maximum below {NODE_GROUP_MAX_FLOOR})",
    )
    parser.add_argument(
        "--timeout",
        type=wait_seconds,
        default=_WAIT_S,
        help=f"seconds to wait for the update (default: {_WAIT_S:.0f})",
    )


def _group_name(name: str, web: str, app: str) -> str:
    aliases = {"web": web, "app": app, web: web, app: app}
    if name not in aliases:
        raise InputError(
            f"node group {name!r} is not one of this stack's node groups",
            hint=f"choose {web} or {app}",
        )
    return aliases[name]


def plan_scaling(
    current: dict[str, int], *, desired: int, minimum: int | None, maximum: int | None, force: bool
) -> dict[str, int]:
    """The new ``scalingConfig``, or :class:`InputError` for a combination EKS or the
    runbook would refuse."""
    new = {
        "minSize": current["minSize"] if minimum is None else minimum,
        "maxSize": current["maxSize"] if maximum is None else maximum,
        "desiredSize": desired,
    }
    for key, flag in (("minSize", "--min"), ("maxSize", "--max"), ("desiredSize", "--desired")):
        if new[key] < 0:
            raise InputError(f"{flag} {new[key]} is negative", hint="sizes are 0 or more nodes")
    if new["minSize"] > new["maxSize"]:
        raise InputError(
            f"minimum {new['minSize']} is above maximum {new['maxSize']}",
            hint="pass --min and --max with min <= max",
        )
    if not force and (new["minSize"] < NODE_GROUP_MIN_FLOOR or desired < NODE_GROUP_MIN_FLOOR):
        raise InputError(
            f"the runbook keeps at least {NODE_GROUP_MIN_FLOOR} nodes per group "
            f"(asked: min {new['minSize']}, desired {desired})",
            hint="add --force if going below the floor is intended",
        )
    if not new["minSize"] <= desired <= new["maxSize"]:
        raise InputError(
            f"--desired {desired} is outside the node group's bounds "
            f"{new['minSize']}..{new['maxSize']}",
            hint="pass a desired size within min..max, or change --min/--max with it",
        )
    if not force and new["maxSize"] < NODE_GROUP_MAX_FLOOR:
        raise InputError(
            f"the runbook keeps a maximum of at least {NODE_GROUP_MAX_FLOOR} nodes "
            f"(asked: max {new['maxSize']})",
            hint="add --force if a lower ceiling is intended",
        )
    return new


def _scaling(nodegroup: dict[str, Any]) -> dict[str, int]:
    config = nodegroup["scalingConfig"]
    return {k: int(config[k]) for k in ("minSize", "maxSize", "desiredSize")}


def scale(args: argparse.Namespace, ctx: Context) -> Report:
    outputs = ctx.outputs()
    group = _group_name(args.name, outputs.web_node_group_name, outputs.app_node_group_name)
    eks = ctx.aws("eks")
    where = {"clusterName": outputs.cluster_name, "nodegroupName": group}
    with aws_errors(f"DescribeNodegroup {group}"):
        before = _scaling(eks.describe_nodegroup(**where)["nodegroup"])
    new = plan_scaling(
        before, desired=args.desired, minimum=args.min, maximum=args.max, force=args.force
    )
    label = f"{group} in {outputs.cluster_name}"
    if new == before:
        text = (
            f"{label} already has min {new['minSize']}, desired {new['desiredSize']}, "
            f"max {new['maxSize']}; nothing to change."
        )
        return Report(
            "scale nodegroup", {"before": before, "after": before, "changed": False}, text=text
        )
    call = {"call": "eks UpdateNodegroupConfig", **where, "scalingConfig": new}
    if ctx.dry_run:
        text = f"Would call UpdateNodegroupConfig({where}, scalingConfig={new}) (now {before})"
        return Report(
            "scale nodegroup", {"dryRun": True, "calls": [call], "before": before}, text=text
        )
    ctx.confirm(f"resize {label} from {before} to {new}")

    ctx.prefetch_operator()
    with aws_errors(f"UpdateNodegroupConfig {group}"):
        update = eks.update_nodegroup_config(**where, scalingConfig=new)["update"]
    describe = (
        f"aws eks describe-update --name {outputs.cluster_name} --nodegroup-name {group} "
        f"--update-id {update['id']}"
    )
    change = Submitted(
        what=f"EKS update {update['id']} of {label} (min {new['minSize']}, desired "
        f"{new['desiredSize']}, max {new['maxSize']})",
        follow=f"follow it with '{describe}', or re-run this command: it is idempotent",
        audit={
            "target": label,
            "before": before,
            "after": None,
            "details": {"updateId": update["id"], "asked": new},
        },
    )

    def poll() -> tuple[bool, str]:
        with aws_errors(f"DescribeUpdate {update['id']}"):
            state = eks.describe_update(
                name=outputs.cluster_name, nodegroupName=group, updateId=update["id"]
            )["update"]
        if state["status"] in ("Failed", "Cancelled"):
            errors = "; ".join(e.get("errorMessage", "") for e in state.get("errors", []))
            raise OperationFailed(
                f"EKS update {update['id']} of {group} ended {state['status']}: {errors or '-'}",
                hint=f"see '{describe}' and the node group's health issues",
            )
        return state["status"] == "Successful", state["status"]

    wait_audited(
        ctx,
        poll,
        what=f"resizing {group}",
        timeout_s=args.timeout,
        interval_s=10.0,
        change=change,
    )
    with following(ctx, change), aws_errors(f"DescribeNodegroup {group}"):
        after = _scaling(eks.describe_nodegroup(**where)["nodegroup"])
    audit = ctx.record_audit(
        target=label,
        before=before,
        after=after,
        result="succeeded",
        details={"updateId": update["id"]},
    )
    text = (
        f"{label}: min {before['minSize']} -> {after['minSize']}, desired "
        f"{before['desiredSize']} -> {after['desiredSize']}, max {before['maxSize']} -> "
        f"{after['maxSize']} (update {update['id']} successful)"
    )
    data = {"before": before, "after": after, "changed": True, "updateId": update["id"]}
    return Report("scale nodegroup", data, text=text, ok=after == new, audit=audit)


COMMANDS = {"nodegroup": Command(_add_args, scale, mutating=True)}
