"""Autoscalers, Deployments and logs: plain functions over :class:`ops.kube.Kube`."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from ops.errors import InputError
from ops.kube import MERGE_PATCH, STRATEGIC_PATCH, Kube, ns_path

HPA_GROUP = "autoscaling/v2"
APPS_GROUP = "apps/v1"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


async def list_hpas(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    doc = await kube.get(
        ns_path(namespace, "horizontalpodautoscalers", group=HPA_GROUP),
        what=f"listing autoscalers in {namespace}",
    )
    return list(doc["items"])


def _metric_text(spec: dict[str, Any], current: dict[str, Any] | None) -> str:
    """``cpu 82%/70%``: a metric's current value against its target."""
    kind = spec.get("type", "?")
    body = spec.get(kind[:1].lower() + kind[1:], {}) if kind else {}
    name = body.get("name") or body.get("metric", {}).get("name") or kind
    target = body.get("target", {})
    now: dict[str, Any] = {}
    if current:
        now = current.get(current.get("type", "")[:1].lower() + current.get("type", "")[1:], {})
        now = now.get("current", {})
    if target.get("type") == "Utilization":
        value = now.get("averageUtilization")
        shown = f"{value}%" if value is not None else "<unknown>"
        return f"{name} {shown}/{target.get('averageUtilization')}%"
    key = "averageValue" if "averageValue" in target else "value"
    return f"{name} {now.get(key, '<unknown>')}/{target.get(key)}"


def hpa_rows(hpas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for hpa in hpas:
        spec, status = hpa.get("spec", {}), hpa.get("status", {})
        currents = status.get("currentMetrics") or []
        metrics = []
        for index, metric in enumerate(spec.get("metrics") or []):
            current = currents[index] if index < len(currents) else None
            metrics.append(_metric_text(metric, current))
        limited = [
            c.get("reason")
            for c in status.get("conditions") or []
            if c.get("type") == "ScalingLimited" and c.get("status") == "True"
        ]
        rows.append(
            {
                "name": hpa["metadata"]["name"],
                "target": f"{spec.get('scaleTargetRef', {}).get('kind')}/"
                f"{spec.get('scaleTargetRef', {}).get('name')}",
                "current": status.get("currentReplicas"),
                "desired": status.get("desiredReplicas"),
                "min": spec.get("minReplicas", 1),
                "max": spec.get("maxReplicas"),
                "metrics": metrics,
                "scaling_limited": limited[0] if limited else None,
            }
        )
    return rows


def hpa_for(hpas: list[dict[str, Any]], deployment: str) -> dict[str, Any] | None:
    """The autoscaler whose scale target is the Deployment ``deployment``, if any."""
    for hpa in hpas:
        ref = hpa.get("spec", {}).get("scaleTargetRef", {})
        if ref.get("kind") == "Deployment" and ref.get("name") == deployment:
            return hpa
    return None


async def get_deployment(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return dict(
        await kube.get(
            ns_path(namespace, "deployments", name, group=APPS_GROUP),
            what=f"reading Deployment {namespace}/{name}",
        )
    )


def scale_plan(
    deployment: dict[str, Any], hpa: dict[str, Any] | None, replicas: int
) -> dict[str, Any]:
    """What ``scale deployment`` will change: the HPA's bounds, or the scale subresource.

    A bare scale of an autoscaled Deployment is undone by the HPA within its sync period,
    so the floor is raised instead; the ceiling follows when the request is above it.
    """
    name = deployment["metadata"]["name"]
    namespace = deployment["metadata"]["namespace"]
    if hpa is None:
        before_replicas = deployment.get("spec", {}).get("replicas")
        return {
            "via": "scale",
            "target": f"deployment/{name}",
            "path": ns_path(namespace, "deployments", f"{name}/scale", group=APPS_GROUP),
            "patch": {"spec": {"replicas": replicas}},
            "before": {"replicas": before_replicas},
            "after": {"replicas": replicas},
            "changed": before_replicas != replicas,
        }
    spec = hpa.get("spec", {})
    before = {"minReplicas": spec.get("minReplicas", 1), "maxReplicas": spec.get("maxReplicas")}
    after = {"minReplicas": replicas, "maxReplicas": max(replicas, before["maxReplicas"] or 0)}
    patch = {"spec": {key: value for key, value in after.items() if value != before[key]}}
    hpa_name = hpa["metadata"]["name"]
    return {
        "via": "hpa",
        "target": f"horizontalpodautoscaler/{hpa_name}",
        "path": ns_path(namespace, "horizontalpodautoscalers", hpa_name, group=HPA_GROUP),
        "patch": patch,
        "before": before,
        "after": after,
        "changed": bool(patch["spec"]),
    }


async def apply_plan(kube: Kube, plan: dict[str, Any]) -> dict[str, Any]:
    return dict(
        await kube.patch(
            plan["path"], plan["patch"], what=f"patching {plan['target']}", content_type=MERGE_PATCH
        )
    )


def restart_patch(now: datetime) -> dict[str, Any]:
    """The patch of ``kubectl rollout restart``: a new template annotation rolls the pods."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


async def restart(kube: Kube, namespace: str, name: str, now: datetime) -> dict[str, Any]:
    return dict(
        await kube.patch(
            ns_path(namespace, "deployments", name, group=APPS_GROUP),
            restart_patch(now),
            what=f"restarting Deployment {namespace}/{name}",
            content_type=STRATEGIC_PATCH,
        )
    )


# --- logs ----------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, *, option: str, max_s: int | None = None) -> int:
    """``90s``, ``15m``, ``1h``, ``2d`` in seconds, at most ``max_s``; anything else is an
    input error."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"{option} {text!r} is not a duration",
            hint="use a positive number with s, m, h or d, e.g. 30m or 1h",
        )
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if max_s is not None and seconds > max_s:
        raise InputError(
            f"{option} {text!r} is longer than the {_longest(max_s)} it accepts",
            hint=f"pass at most {_longest(max_s)}",
        )
    return seconds


def _longest(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def app_logs(
    kube: Kube,
    namespace: str,
    app: str,
    *,
    since_s: int | None,
    tail: int | None,
    pattern: re.Pattern[str] | None,
) -> dict[str, Any]:
    """The log lines of every pod (and container) labelled ``app=APP``, fetched in parallel."""
    pods = await kube.get(
        ns_path(namespace, "pods"),
        what=f"listing pods of {app}",
        params={"labelSelector": f"app={app}"},
    )
    params: dict[str, Any] = {}
    if since_s:
        params["sinceSeconds"] = since_s
    if tail is not None:
        params["tailLines"] = tail
    jobs = []
    for pod in pods["items"]:
        name = pod["metadata"]["name"]
        containers = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        for container in containers or [None]:
            query = (
                dict(params, container=container) if container and len(containers) > 1 else params
            )
            jobs.append((name, container, query))

    async def fetch(name: str, query: dict[str, Any]) -> str:
        return await kube.text(
            ns_path(namespace, "pods", f"{name}/log"), what=f"reading logs of {name}", params=query
        )

    texts = await asyncio.gather(*(fetch(name, query) for name, _c, query in jobs))
    lines = []
    for (name, container, _q), text in zip(jobs, texts, strict=True):
        label = f"{name}/{container}" if container and len(jobs) > len(pods["items"]) else name
        for line in text.splitlines():
            if pattern is None or pattern.search(line):
                lines.append({"pod": label, "line": line})
    return {"pods": sorted({n for n, _c, _q in jobs}), "lines": lines}


# --- connection pool of the trading service ---------------------------------------------

POOL_SERVICE = "trading-service"
POOL_PORT = 8080
POOL_METRICS = {
    "active": "hikaricp.connections.active",
    "idle": "hikaricp.connections.idle",
    "pending": "hikaricp.connections.pending",
    "max": "hikaricp.connections.max",
    "timeouts": "hikaricp.connections.timeout",
}


async def pool_metrics(kube: Kube, namespace: str) -> dict[str, float | None]:
    """HikariCP numbers from the trading service's actuator, through the API server's
    service proxy (so it works from an operator's machine, without a port-forward)."""
    base = ns_path(namespace, "services", f"{POOL_SERVICE}:{POOL_PORT}")

    async def one(metric: str) -> float | None:
        doc = await kube.get(f"{base}/proxy/actuator/metrics/{metric}", what=f"reading {metric}")
        for measurement in doc.get("measurements") or []:
            if measurement.get("statistic") in ("VALUE", "COUNT"):
                return float(measurement["value"])
        return None

    values = await asyncio.gather(*(one(metric) for metric in POOL_METRICS.values()))
    return dict(zip(POOL_METRICS, values, strict=True))
