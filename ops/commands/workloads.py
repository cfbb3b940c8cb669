"""``commsec scale deployment`` and ``commsec restart deployment``."""

from __future__ import annotations

import argparse
from typing import Any

from infra.contract import WORKLOAD_REPLICA_FLOOR
from ops.cli import Command
from ops.context import Context
from ops.errors import CommsecError, EscalateError, InputError
from ops.report import Report

# A guard against a typo (100 for 10) taking the node groups' whole capacity.
MAX_REPLICAS = 50
# The stack settings refuse a minReplicas below the same floor.
REPLICA_FLOOR = WORKLOAD_REPLICA_FLOOR


def _add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument("name", metavar="NAME", help="Deployment name, e.g. trading-service")
    parser.add_argument("--replicas", type=int, required=True, metavar="N", help="replica count")
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"allow fewer than {REPLICA_FLOOR} replicas (never 0 on an autoscaled Deployment)",
    )
    add_kube_arguments(parser)


def _add_restart_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument("name", metavar="NAME", help="Deployment name, e.g. trading-service")
    add_kube_arguments(parser)


def _check_floor(args: argparse.Namespace) -> None:
    if not 0 <= args.replicas <= MAX_REPLICAS:
        raise InputError(
            f"--replicas {args.replicas} is outside 0..{MAX_REPLICAS}",
            hint="pass a replica count in that range; for more, scale the node groups first",
        )
    if args.replicas < REPLICA_FLOOR and not args.force:
        raise InputError(
            f"--replicas {args.replicas} is below the platform's floor of {REPLICA_FLOOR} "
            "replicas per workload (one pod, or none, leaves no redundancy across zones)",
            hint=f"pass {REPLICA_FLOOR} or more, or add --force to go below it deliberately",
        )


def _check_zero_on_hpa(change: dict[str, Any], name: str) -> None:
    # An HPA's minReplicas may be 0 only with the HPAScaleToZero feature gate, which is
    # alpha and off on EKS; the API server would refuse it, or a gated cluster would
    # scale the workload to nothing on the next quiet metric.
    if change["via"] == "hpa" and change["after"]["minReplicas"] == 0:
        raise InputError(
            f"--replicas 0: deployment/{name} is autoscaled by {change['target']}, whose "
            "minReplicas cannot be 0 (that needs the HPAScaleToZero feature gate)",
            hint="scale to 1 or more with --force, or remove the autoscaler first",
        )


def _values(values: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in values.items())


def _summary(change: dict[str, Any], name: str, replicas: int) -> str:
    if change["via"] == "hpa":
        return (
            f"raise {change['target']} to minReplicas={change['after']['minReplicas']} "
            f"maxReplicas={change['after']['maxReplicas']} (an HPA owns deployment/{name}, "
            "so a bare scale would be undone within seconds)"
        )
    return f"scale deployment/{name} to {replicas} replicas"


def scale(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_in_namespace, target_from_args

    _check_floor(args)
    target = target_from_args(args, ctx)

    async def plan(kube: Any) -> dict[str, Any]:
        deployment = await w.get_deployment(kube, target.namespace, args.name)
        hpa = w.hpa_for(await w.list_hpas(kube, target.namespace), args.name)
        return w.scale_plan(deployment, hpa, args.replicas)

    change = run_in_namespace(target, plan)
    _check_zero_on_hpa(change, args.name)
    if not change["changed"]:
        after, result = change["before"], "unchanged"
        text = f"{change['target']} is already at {_values(change['before'])}: nothing to change"
        if ctx.dry_run:
            return Report(title="scale deployment", data={"dry_run": True, **change}, text=text)
    else:
        summary = _summary(change, args.name, args.replicas)
        if ctx.dry_run:
            return Report(
                title="scale deployment",
                data={"dry_run": True, **change},
                text=f"Dry run: would {summary}\nPATCH {change['path']} {change['patch']}",
            )
        ctx.confirm(summary)
        _apply(target, change)
        after, result, text = change["after"], "applied", f"Done: {summary}"
    audit = ctx.record_audit(
        target=f"{target.namespace}/{change['target']}",
        before=change["before"],
        after=after,
        result=result,
    )
    return Report(
        title="scale deployment", data={"dry_run": False, **change}, text=text, audit=audit
    )


def _apply(target: Any, change: dict[str, Any]) -> None:
    from ops import k8s_workloads as w
    from ops.kube import run_with

    try:
        run_with(target, lambda kube: w.apply_plan(kube, change))
    except CommsecError as exc:
        # The PATCH was sent: whatever the answer, this is no longer an input problem.
        raise EscalateError(
            f"PATCH {change['path']} {change['patch']} was submitted and failed or went "
            f"unanswered ({exc.message}); {change['target']} may or may not have changed",
            hint=f"check it with 'commsec hpa' or 'kubectl get {change['target']} "
            f"-n {target.namespace}' before retrying",
        ) from exc


def restart(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_in_namespace, run_with, target_from_args

    target = target_from_args(args, ctx)
    now = ctx.now()
    deployment = run_in_namespace(
        target, lambda kube: w.get_deployment(kube, target.namespace, args.name)
    )
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
