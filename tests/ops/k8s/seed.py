"""The cluster state the Kubernetes tests start from: the platform's namespace, with faults.

Three zones with two nodes each, the three Deployments and their pods, and the kinds of
trouble the health check must judge correctly: a pod crash-looping while its phase still
says ``Running``, a completed Job pod (healthy), a Service with no ready endpoints, a recent
and an old warning event. Times are relative to the moment of seeding.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.servers.kube_api import KubeApi

NS = "commsec"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
CRASHING_POD = "trading-service-7d9f8b6c5-zk2lq"
JOB_POD = "db-migrate-28461-qx7rt"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(name: str, *, namespace: str | None = NS, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{name}",
        "resourceVersion": "100",
        "creationTimestamp": "2026-11-30T22:00:00Z",
        "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
    }
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def nodes() -> list[dict[str, Any]]:
    result = []
    for index in range(6):
        zone = ZONES[index % 3]
        tier = "web" if index < 3 else "app"
        name = f"ip-10-0-{index + 1}-{10 + index}.ec2.internal"
        result.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": _meta(
                    name,
                    namespace=None,
                    labels={
                        "topology.kubernetes.io/zone": zone,
                        "eks.amazonaws.com/nodegroup": f"{tier}-tier-nodes",
                        "kubernetes.io/hostname": name,
                    },
                ),
                "spec": {"providerID": f"aws:///{zone}/i-0{index}abcdef"},
                "status": {
                    "capacity": {"cpu": "2", "memory": "8Gi", "pods": "29"},
                    "allocatable": {"cpu": "1930m", "memory": "7458812Ki", "pods": "29"},
                    "conditions": [
                        {"type": "MemoryPressure", "status": "False"},
                        {"type": "DiskPressure", "status": "False"},
                        {"type": "PIDPressure", "status": "False"},
                        {"type": "Ready", "status": "True", "reason": "KubeletReady"},
                    ],
                    "nodeInfo": {"kubeletVersion": "v1.31.2-eks", "osImage": "Amazon Linux 2023"},
                    "addresses": [
                        {"type": "InternalIP", "address": f"10.0.{index + 1}.{10 + index}"}
                    ],
                },
            }
        )
    return result


def node_metrics(names: list[str]) -> list[dict[str, Any]]:
    usage = [("612m", "2811200Ki"), ("1100m", "4Gi"), ("480m", "2Gi")]
    return [
        {
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "NodeMetrics",
            "metadata": {"name": name},
            "timestamp": "2026-12-04T07:00:00Z",
            "window": "20s",
            "usage": {"cpu": usage[i % 3][0], "memory": usage[i % 3][1]},
        }
        for i, name in enumerate(names)
    ]


def deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name, "tier": "frontend" if name == "frontend" else "backend"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, labels=labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:1.4.2",
                        }
                    ]
                },
            },
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
    }


def pod(
    name: str,
    app: str,
    node: str,
    *,
    ready: bool = True,
    state: dict[str, Any] | None = None,
    phase: str = "Running",
    restarts: int = 0,
    owner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    labels = {"app": app, "tier": "frontend" if app == "frontend" else "backend"}
    status_state = state or {"running": {"startedAt": "2026-12-04T06:00:00Z"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, labels=labels, ownerReferences=[owner] if owner else []),
        "spec": {"nodeName": node, "containers": [{"name": app, "image": f"{app}:1.4.2"}]},
        "status": {
            "phase": phase,
            "podIP": "10.0.1.20",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": app,
                    "ready": ready,
                    "restartCount": restarts,
                    "image": f"{app}:1.4.2",
                    "imageID": f"sha256:{app}",
                    "state": status_state,
                }
            ],
        },
    }


def pods(node_names: list[str]) -> list[dict[str, Any]]:
    web, app = node_names[:3], node_names[3:]
    result = [pod(f"frontend-5c7b9d-{s}", "frontend", web[i]) for i, s in enumerate("abc")]
    result += [pod(f"api-gateway-6f8d7c-{s}", "api-gateway", app[i]) for i, s in enumerate("abc")]
    result += [
        pod(f"trading-service-7d9f8b6c5-{s}", "trading-service", app[i])
        for i, s in enumerate(("h4mfp", "n8wq2"))
    ]
    result.append(
        pod(
            CRASHING_POD,
            "trading-service",
            app[2],
            ready=False,
            restarts=14,
            state={
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 5m0s restarting failed container",
                }
            },
        )
    )
    job = pod(
        JOB_POD,
        "db-migrate",
        app[0],
        ready=False,
        phase="Succeeded",
        state={"terminated": {"reason": "Completed", "exitCode": 0}},
        owner={"apiVersion": "batch/v1", "kind": "Job", "name": "db-migrate-28461"},
    )
    result.append(job)
    return result


def pod_metrics(pod_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for index, item in enumerate(pod_list):
        if item["status"]["phase"] != "Running":
            continue
        name = item["metadata"]["name"]
        result.append(
            {
                "apiVersion": "metrics.k8s.io/v1beta1",
                "kind": "PodMetrics",
                "metadata": {"name": name, "namespace": NS},
                "timestamp": "2026-12-04T07:00:00Z",
                "window": "20s",
                "containers": [
                    {
                        "name": item["metadata"]["labels"]["app"],
                        "usage": {"cpu": f"{100 + 25 * index}m", "memory": f"{256 + 16 * index}Mi"},
                    }
                ],
            }
        )
    return result


def services_and_endpoints() -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    ready = {"frontend": 3, "api-gateway": 3, "trading-service": 2, "trading-service-canary": 0}
    for name, count in ready.items():
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(name),
                "spec": {
                    "selector": {"app": name},
                    "ports": [{"port": 8080, "targetPort": 8080}],
                    "clusterIP": "172.20.0.10",
                },
            }
        )
        subsets = []
        if count:
            subsets = [
                {
                    "addresses": [{"ip": f"10.0.3.{i}"} for i in range(count)],
                    "ports": [{"port": 8080}],
                }
            ]
        if name == "trading-service":
            subsets[0]["notReadyAddresses"] = [{"ip": "10.0.3.99"}]
        objs.append(
            {"apiVersion": "v1", "kind": "Endpoints", "metadata": _meta(name), "subsets": subsets}
        )
    return objs


def events(now: datetime) -> list[dict[str, Any]]:
    def event(name: str, kind: str, reason: str, message: str, age: timedelta, obj: str):
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": _meta(name),
            "type": kind,
            "reason": reason,
            "message": message,
            "count": 3,
            "involvedObject": {"kind": "Pod", "name": obj, "namespace": NS},
            "firstTimestamp": _ts(now - age - timedelta(minutes=5)),
            "lastTimestamp": _ts(now - age),
        }

    return [
        event(
            "ev-backoff",
            "Warning",
            "BackOff",
            "Back-off restarting failed container",
            timedelta(minutes=10),
            CRASHING_POD,
        ),
        event(
            "ev-old",
            "Warning",
            "FailedScheduling",
            "0/6 nodes are available",
            timedelta(hours=3),
            "frontend-5c7b9d-a",
        ),
        event(
            "ev-pulled",
            "Normal",
            "Pulled",
            "Container image pulled",
            timedelta(minutes=20),
            "frontend-5c7b9d-b",
        ),
    ]


def hpas() -> list[dict[str, Any]]:
    def hpa(name: str, target: str, current: int, desired: int, cpu: int) -> dict[str, Any]:
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(name),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                "minReplicas": 3,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
            "status": {
                "currentReplicas": current,
                "desiredReplicas": desired,
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "current": {"averageUtilization": cpu, "averageValue": "350m"},
                        },
                    }
                ],
                "conditions": [{"type": "ScalingActive", "status": "True"}],
            },
        }

    return [
        hpa("frontend-hpa", "frontend", 3, 3, 45),
        hpa("trading-service-hpa", "trading-service", 3, 4, 82),
    ]


def config_objects() -> list[dict[str, Any]]:
    secret_value = base64.b64encode(b"s3cr3t-pa55").decode()
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _meta(NS, namespace=None),
            "status": {"phase": "Active"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("trading-config"),
            "data": {"MARKET": "ASX", "POOL_SIZE": "20"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta("trading-db"),
            "type": "Opaque",
            "data": {
                "username": base64.b64encode(b"commsec_admin").decode(),
                "password": secret_value,
            },
        },
    ]


def logs(now: datetime) -> dict[tuple[str, str], list[str]]:
    result: dict[tuple[str, str], list[str]] = {}
    for suffix in ("h4mfp", "n8wq2"):
        name = f"trading-service-7d9f8b6c5-{suffix}"
        result[(NS, name)] = [
            f"{_ts(now - timedelta(hours=2))} INFO started order router ({suffix})",
            f"{_ts(now - timedelta(minutes=30))} ERROR order 991 rejected: price band ({suffix})",
            f"{_ts(now - timedelta(minutes=5))} INFO heartbeat ok ({suffix})",
        ]
    result[(NS, CRASHING_POD)] = [
        f"{_ts(now - timedelta(minutes=1))} ERROR HikariPool-1 - Connection is not available"
    ]
    return result


def seed(api: KubeApi, now: datetime | None = None) -> None:
    """Reset ``api`` to the seeded platform state."""
    moment = now or datetime.now(UTC)
    api.objects.clear()
    api.forbidden_namespaces.clear()
    api.delay_s = 0.0
    api.required_token = api.token_prefix = api.last_authorization = None
    node_list = nodes()
    names = [n["metadata"]["name"] for n in node_list]
    pod_list = pods(names)
    everything = (
        node_list
        + node_metrics(names)
        + pod_list
        + pod_metrics(pod_list)
        + [deployment(name, 3) for name in ("frontend", "api-gateway", "trading-service")]
        + services_and_endpoints()
        + events(moment)
        + hpas()
        + config_objects()
    )
    for obj in everything:
        api.put(obj)
    api.pod_logs.clear()
    api.pod_logs.update(logs(moment))
