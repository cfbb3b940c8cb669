"""``commsec scale deployment`` and ``commsec restart deployment``."""

from __future__ import annotations

import argparse
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import InputError
from ops.report import Report

# A guard against a typo (100 for 10) taking the node groups' whole capacity.
MAX_REPLICAS = 50


def _add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument("name", metavar="NAME", help="Deployment name, e.g. trading-service")
    parser.add_argument("--replicas", type=int, required=True, metavar="N", help="replica count")
    add_kube_arguments(parser)


def _add_restart_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument("name", metavar="NAME", help="Deployment name, e.g. trading-service")
    add_kube_arguments(parser)


def scale(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_with, target_from_args

    if not 0 <= args.replicas <= MAX_REPLICAS:
        raise InputError(
            f"--replicas {args.replicas} is outside 0..{MAX_REPLICAS}",
            hint="pass a replica count in that range; for more, scale the node groups first",
        )
    target = target_from_args(args, ctx)

    async def plan(kube: Any) -> dict[str, Any]:
        deployment = await w.get_deployment(kube, target.namespace, args.name)
        hpa = w.hpa_for(await w.list_hpas(kube, target.namespace), args.name)
        return w.scale_plan(deployment, hpa, args.replicas)

    change = run_with(target, plan)
    if change["via"] == "hpa":
        summary = (
            f"raise {change['target']} to minReplicas={change['after']['minReplicas']} "
            f"maxReplicas={change['after']['maxReplicas']} (an HPA owns deployment/{args.name}, "
            "so a bare scale would be undone within seconds)"
        )
    else:
        summary = f"scale deployment/{args.name} to {args.replicas} replicas"
    if ctx.dry_run:
        return Report(
            title="scale deployment",
            data={"dry_run": True, **change},
            text=f"Dry run: would {summary}\nPATCH {change['path']} {change['patch']}",
        )
    ctx.confirm(summary)
    run_with(target, lambda kube: w.apply_plan(kube, change))
    audit = ctx.record_audit(
        target=f"{target.namespace}/{change['target']}",
        before=change["before"],
        after=change["after"],
        result="applied",
    )
    return Report(
        title="scale deployment",
        data={"dry_run": False, **change},
        text=f"Done: {summary}",
        audit=audit,
    )


def restart(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_with, target_from_args

    target = target_from_args(args, ctx)
    now = ctx.now()
    deployment = run_with(target, lambda kube: w.get_deployment(kube, target.namespace, args.name))
    annotations = deployment["spec"]["template"].get("metadata", {}).get("annotations") or {}
    before = annotations.get(w.RESTARTED_AT)
    patch = w.restart_patch(now)
    summary = f"rollout-restart deployment/{args.name} in {target.namespace}"
    if ctx.dry_run:
        return Report(
            title="restart deployment",
            data={"dry_run": True, "patch": patch},
            text=f"Dry run: would {summary} with patch {patch}",
        )
    ctx.confirm(summary)
    run_with(target, lambda kube: w.restart(kube, target.namespace, args.name, now))
    after = patch["spec"]["template"]["metadata"]["annotations"][w.RESTARTED_AT]
    audit = ctx.record_audit(
        target=f"{target.namespace}/deployment/{args.name}",
        before={w.RESTARTED_AT: before},
        after={w.RESTARTED_AT: after},
        result="applied",
    )
    return Report(
        title="restart deployment",
        data={"dry_run": False, "patch": patch},
        text=f"Done: {summary}; pods roll one by one under the Deployment's update strategy",
        audit=audit,
    )


COMMANDS = {
    "scale deployment": Command(_add_scale_arguments, scale, mutating=True),
    "restart deployment": Command(_add_restart_arguments, restart, mutating=True),
}
