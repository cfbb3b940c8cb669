"""``commsec health``: the daily health check of the cluster and the workloads."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.report import Report, table

EVENT_WINDOW = timedelta(hours=1)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    add_kube_arguments(parser)


def health_document(state: Any, now: Any, namespace: str) -> dict[str, Any]:
    """The health findings as one document; ``healthy`` is false when anything is wrong."""
    from ops import k8s_health as h

    nodes = h.node_rows(state)
    pods = h.pod_rows(state)
    unhealthy = [p for p in pods if p["problem"]]
    empty = h.endpoints_without_ready(state)
    workloads = h.workload_problems(state, namespace)
    problems = workloads + h.node_problems(nodes)
    problems += [f"pod {p['name']}: {p['problem']}" for p in unhealthy]
    problems += [f"service {e['service']} has no ready endpoints" for e in empty]
    return {
        "healthy": not problems,
        "problems": problems,
        "workload_problems": workloads,
        "nodes": nodes,
        "unhealthy_pods": unhealthy,
        "pods_per_zone": h.pods_per_zone(pods),
        "endpoints_without_ready": empty,
        "warning_events": h.recent_events(state, now, EVENT_WINDOW),
        "pod_usage": h.pod_usage(state),
        "pod_count": len(pods),
    }


def _render(doc: dict[str, Any], namespace: str, now: Any) -> str:
    verdict = "HEALTHY" if doc["healthy"] else f"UNHEALTHY ({len(doc['problems'])} problem(s))"
    parts = [f"Health check of namespace {namespace} at {now:%Y-%m-%d %H:%M:%S} UTC: {verdict}"]
    parts.append("\nNodes")
    parts.append(
        table(
            ["NODE", "ZONE", "READY", "PRESSURE", "CPU%", "MEM%"],
            [
                [
                    n["name"],
                    n["zone"],
                    "yes" if n["ready"] else "NO",
                    ",".join(n["pressure"]) or "-",
                    n["cpu_percent"],
                    n["memory_percent"],
                ]
                for n in doc["nodes"]
            ],
        )
    )
    zones = ", ".join(f"{zone}: {count}" for zone, count in doc["pods_per_zone"].items())
    parts.append(f"\nRunning pods per zone: {zones or 'none'}")
    if doc["workload_problems"]:
        parts.append("\n" + "\n".join(doc["workload_problems"]))
    if doc["unhealthy_pods"]:
        parts.append("\nUnhealthy pods")
        parts.append(
            table(
                ["POD", "PHASE", "READY", "RESTARTS", "ZONE", "PROBLEM"],
                [
                    [p["name"], p["phase"], p["ready"], p["restarts"], p["zone"], p["problem"]]
                    for p in doc["unhealthy_pods"]
                ],
            )
        )
    elif doc["pod_count"]:
        parts.append(f"\nAll {doc['pod_count']} pods are healthy")
    if doc["endpoints_without_ready"]:
        names = ", ".join(e["service"] for e in doc["endpoints_without_ready"])
        parts.append(f"\nServices with no ready endpoints: {names}")
    parts.append(f"\nWarning events in the last hour: {len(doc['warning_events'])}")
    if doc["warning_events"]:
        parts.append(
            table(
                ["LAST SEEN", "REASON", "OBJECT", "COUNT", "MESSAGE"],
                [
                    [e["time"], e["reason"], e["object"], e["count"], e["message"]]
                    for e in doc["warning_events"]
                ],
            )
        )
    if doc["pod_usage"]:
        parts.append("\nPod usage")
        parts.append(
            table(
                ["POD", "CPU(m)", "MEMORY(Mi)"],
                [[u["name"], u["cpu_millicores"], u["memory_mib"]] for u in doc["pod_usage"]],
            )
        )
    return "\n".join(parts)


def run(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_health
    from ops.kube import run_in_namespace, target_from_args

    target = target_from_args(args, ctx)
    state = run_in_namespace(
        target, lambda kube: k8s_health.gather_cluster_state(kube, target.namespace)
    )
    now = ctx.now()
    doc = health_document(state, now, target.namespace)
    doc["namespace"] = target.namespace
    return Report(
        title="health",
        data=doc,
        text=_render(doc, target.namespace, now),
        ok=doc["healthy"],
        warnings=state.warnings,
    )


COMMANDS = {"health": Command(_add_arguments, run, needs_outputs=True)}
