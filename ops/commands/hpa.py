"""``commsec hpa``: each autoscaler's replicas and metric values."""

from __future__ import annotations

import argparse

from ops.cli import Command
from ops.context import Context
from ops.report import Report, table


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    add_kube_arguments(parser)


def run(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_in_namespace, target_from_args

    target = target_from_args(args, ctx)
    rows = w.hpa_rows(run_in_namespace(target, lambda kube: w.list_hpas(kube, target.namespace)))
    text = table(
        ["HPA", "TARGET", "CURRENT", "DESIRED", "MIN", "MAX", "METRICS"],
        [
            [
                r["name"],
                r["target"],
                r["current"],
                r["desired"],
                r["min"],
                r["max"],
                ", ".join(r["metrics"]) or "-",
            ]
            for r in rows
        ],
    )
    if not rows:
        text = f"No autoscalers in namespace {target.namespace}"
    at_max = [r["name"] for r in rows if r["max"] is not None and (r["desired"] or 0) >= r["max"]]
    warnings = [f"{name} wants more replicas than its maximum allows" for name in at_max]
    return Report(
        title="hpa",
        data={"namespace": target.namespace, "autoscalers": rows},
        text=text,
        warnings=warnings,
    )


COMMANDS = {"hpa": Command(_add_arguments, run)}
