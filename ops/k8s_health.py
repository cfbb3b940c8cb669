"""Reading and judging the state of the cluster and the workloads' namespace.

Plain functions: the ``gather_*`` coroutines take a :class:`ops.kube.Kube` and return the
API's documents; everything else turns documents into findings, so the rules (what counts
as an unhealthy pod, which zone a pod is in) are tested without a server.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ops.errors import CommsecError
from ops.kube import Kube, ns_path

ZONE_LABEL = "topology.kubernetes.io/zone"
PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")

_CPU_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0}
_MEM_SUFFIX = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "": 1,
}
_QUANTITY = re.compile(r"^([0-9.]+(?:e[0-9]+)?)([A-Za-z]*)$")


def cpu_cores(quantity: str | None) -> float | None:
    """A CPU quantity (``1930m``, ``2``, ``1500000n``) in cores."""
    match = _QUANTITY.match(str(quantity or ""))
    if not match or match.group(2) not in _CPU_SUFFIX:
        return None
    return float(match.group(1)) * _CPU_SUFFIX[match.group(2)]


def memory_bytes(quantity: str | None) -> float | None:
    """A memory quantity (``7458812Ki``, ``8Gi``, ``1G``) in bytes."""
    match = _QUANTITY.match(str(quantity or ""))
    if not match or match.group(2) not in _MEM_SUFFIX:
        return None
    return float(match.group(1)) * _MEM_SUFFIX[match.group(2)]


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- gathering ---------------------------------------------------------------------------


@dataclass
class ClusterState:
    """The documents one health check reads; metrics are ``None`` when the API is absent."""

    nodes: list[dict[str, Any]]
    pods: list[dict[str, Any]]
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    node_metrics: list[dict[str, Any]] | None = None
    pod_metrics: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)


async def _optional(kube: Kube, path: str, what: str, warnings: list[str]) -> Any:
    """A read whose absence degrades the report instead of failing it (metrics-server)."""
    try:
        return (await kube.get(path, what=what))["items"]
    except CommsecError as exc:
        warnings.append(f"{what} unavailable: {exc.message}")
        return None


async def gather_cluster_state(
    kube: Kube, namespace: str, *, with_endpoints: bool = True
) -> ClusterState:
    """Every read of the health check, issued concurrently (one round trip of latency)."""
    warnings: list[str] = []
    reads = [
        kube.get("/api/v1/nodes", what="listing nodes"),
        kube.get(ns_path(namespace, "pods"), what=f"listing pods in {namespace}"),
        kube.get(ns_path(namespace, "endpoints"), what=f"listing endpoints in {namespace}")
        if with_endpoints
        else _none(),
        kube.get(ns_path(namespace, "events"), what=f"listing events in {namespace}"),
        kube.get(
            ns_path(namespace, "deployments", group="apps/v1"),
            what=f"listing Deployments in {namespace}",
        ),
        _optional(kube, "/apis/metrics.k8s.io/v1beta1/nodes", "node metrics", warnings),
        _optional(
            kube,
            f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods",
            "pod metrics",
            warnings,
        ),
    ]
    nodes, pods, endpoints, events, deployments, node_metrics, pod_metrics = await asyncio.gather(
        *reads
    )
    return ClusterState(
        nodes=nodes["items"],
        pods=pods["items"],
        endpoints=endpoints["items"] if endpoints else [],
        events=events["items"],
        deployments=deployments["items"],
        node_metrics=node_metrics,
        pod_metrics=pod_metrics,
        warnings=warnings,
    )


async def _none() -> None:
    return None


# --- judging -----------------------------------------------------------------------------


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return None


def node_rows(state: ClusterState) -> list[dict[str, Any]]:
    """One row per node: ready, zone, pressure, and CPU/memory use against allocatable."""
    usage = {m["metadata"]["name"]: m.get("usage", {}) for m in state.node_metrics or []}
    rows = []
    for node in state.nodes:
        name = node["metadata"]["name"]
        ready = _condition(node, "Ready")
        pressures = [
            c for c in PRESSURE_CONDITIONS if (_condition(node, c) or {}).get("status") == "True"
        ]
        allocatable = node.get("status", {}).get("allocatable", {})
        used = usage.get(name, {})
        rows.append(
            {
                "name": name,
                "zone": node["metadata"].get("labels", {}).get(ZONE_LABEL),
                "ready": bool(ready and ready.get("status") == "True"),
                "pressure": pressures,
                "unschedulable": bool(node.get("spec", {}).get("unschedulable")),
                "cpu_percent": _percent(
                    cpu_cores(used.get("cpu")), cpu_cores(allocatable.get("cpu"))
                ),
                "memory_percent": _percent(
                    memory_bytes(used.get("memory")), memory_bytes(allocatable.get("memory"))
                ),
            }
        )
    return rows


def _percent(used: float | None, total: float | None) -> float | None:
    if used is None or not total:
        return None
    return round(100.0 * used / total, 1)


def pod_problem(pod: dict[str, Any]) -> str | None:
    """Why a pod is unhealthy, or ``None``.

    Judged from container states and readiness rather than the phase: a crash-looping
    container leaves the phase at ``Running``, while a Job pod that completed is fine.
    """
    status = pod.get("status", {})
    phase = status.get("phase")
    if phase == "Succeeded":
        return None
    if phase == "Failed":
        return f"Failed ({status.get('reason') or 'containers exited with errors'})"
    containers = status.get("containerStatuses") or []
    for container in containers:
        state = container.get("state", {})
        waiting = state.get("waiting")
        if waiting:
            return f"{waiting.get('reason') or 'Waiting'} ({container.get('name')})"
        terminated = state.get("terminated")
        if terminated and terminated.get("reason") != "Completed":
            return f"{terminated.get('reason') or 'Terminated'} ({container.get('name')})"
    if phase == "Pending":
        scheduled = _condition(pod, "PodScheduled")
        if scheduled and scheduled.get("status") == "False":
            return f"Pending: {scheduled.get('reason') or 'unschedulable'}"
        return "Pending"
    not_ready = [c.get("name") for c in containers if not c.get("ready")]
    if not_ready:
        return f"not ready ({', '.join(str(n) for n in not_ready)})"
    ready = _condition(pod, "Ready")
    if ready is not None and ready.get("status") != "True":
        return "not ready"
    if phase != "Running":
        return str(phase or "unknown phase")
    return None


def pod_rows(state: ClusterState) -> list[dict[str, Any]]:
    zones = {
        n["metadata"]["name"]: n["metadata"].get("labels", {}).get(ZONE_LABEL) for n in state.nodes
    }
    rows = []
    for pod in state.pods:
        containers = pod.get("status", {}).get("containerStatuses") or []
        node = pod.get("spec", {}).get("nodeName")
        rows.append(
            {
                "name": pod["metadata"]["name"],
                "app": (pod["metadata"].get("labels") or {}).get("app"),
                "phase": pod.get("status", {}).get("phase"),
                "ready": f"{sum(bool(c.get('ready')) for c in containers)}/{len(containers)}",
                "restarts": sum(int(c.get("restartCount", 0)) for c in containers),
                "node": node,
                "zone": zones.get(node) if node else None,
                "problem": pod_problem(pod),
            }
        )
    return rows


def pods_per_zone(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Running pods per AZ, from the zone label of the node each pod runs on."""
    counts = Counter(r["zone"] or "unscheduled" for r in rows if r["phase"] == "Running")
    return dict(sorted(counts.items()))


def endpoints_without_ready(state: ClusterState) -> list[dict[str, Any]]:
    found = []
    for item in state.endpoints:
        subsets = item.get("subsets") or []
        ready = sum(len(s.get("addresses") or []) for s in subsets)
        not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
        if ready == 0:
            found.append({"service": item["metadata"]["name"], "not_ready": not_ready})
    return found


def event_time(event: dict[str, Any]) -> datetime | None:
    return (
        parse_time(event.get("lastTimestamp"))
        or parse_time(event.get("eventTime"))
        or parse_time(event.get("metadata", {}).get("creationTimestamp"))
    )


def recent_events(
    state: ClusterState, now: datetime, window: timedelta, *, warnings_only: bool = True
) -> list[dict[str, Any]]:
    """Events newer than ``now - window``, newest first."""
    cutoff = now - window
    found = []
    for event in state.events:
        when = event_time(event)
        if when is None or when < cutoff:
            continue
        if warnings_only and event.get("type") != "Warning":
            continue
        involved = event.get("involvedObject", {})
        found.append(
            {
                "time": when.isoformat(),
                "type": event.get("type"),
                "reason": event.get("reason"),
                "object": f"{involved.get('kind', '?')}/{involved.get('name', '?')}",
                "count": event.get("count", 1),
                "message": event.get("message"),
            }
        )
    return sorted(found, key=lambda e: e["time"], reverse=True)


def pod_usage(state: ClusterState) -> list[dict[str, Any]]:
    rows = []
    for item in state.pod_metrics or []:
        containers = item.get("containers") or []
        cpu = sum(cpu_cores(c.get("usage", {}).get("cpu")) or 0 for c in containers)
        mem = sum(memory_bytes(c.get("usage", {}).get("memory")) or 0 for c in containers)
        rows.append(
            {
                "name": item["metadata"]["name"],
                "cpu_millicores": round(cpu * 1000),
                "memory_mib": round(mem / 2**20),
            }
        )
    return sorted(rows, key=lambda r: r["cpu_millicores"], reverse=True)


def workload_problems(state: ClusterState, namespace: str) -> list[str]:
    """The platform's Deployments missing from ``namespace``, and a namespace with no pods.

    Either means the check is looking at the wrong place or the platform is gone; both
    read as "all 0 pods are healthy" if only unhealthy pods are counted.
    """
    from infra.contract import DEPLOYMENTS

    present = {d["metadata"]["name"] for d in state.deployments}
    problems = [
        f"Deployment {name} is missing from namespace {namespace}"
        for name in DEPLOYMENTS
        if name not in present
    ]
    if not state.pods:
        problems.append(f"namespace {namespace} has no pods")
    return problems


def node_problems(rows: list[dict[str, Any]]) -> list[str]:
    problems = []
    for row in rows:
        if not row["ready"]:
            problems.append(f"node {row['name']} is not Ready")
        if row["pressure"]:
            problems.append(f"node {row['name']} reports {', '.join(row['pressure'])}")
    return problems
