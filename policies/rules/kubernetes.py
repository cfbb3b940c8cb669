"""The workloads in the ``commsec`` namespace: Deployments, autoscalers, disruption budgets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from infra.contract import DEPLOYMENTS, NAMESPACE
from policies.rules._base import (
    MISSING,
    Config,
    Finding,
    dig,
    items,
    of_type,
    stack_policy,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPAS = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler",)
PDBS = ("kubernetes:policy/v1:PodDisruptionBudget",)
ZONE_KEY = "topology.kubernetes.io/zone"
# The autoscalers the runbook operates by name.
REQUIRED_HPAS = {"frontend-hpa": "frontend", "trading-service-hpa": "trading-service"}


def _metadata_name(resource: PolicyResource) -> Any:
    return dig(resource.props, "metadata", "name")


def _in_namespace(resources: Sequence[PolicyResource], *types: str) -> dict[Any, PolicyResource]:
    return {
        _metadata_name(r): r
        for r in of_type(resources, *types)
        if dig(r.props, "metadata", "namespace") == NAMESPACE
    }


def _container_problems(container: Any) -> list[str]:
    name = dig(container, "name")
    problems = []
    if dig(container, "readinessProbe") is MISSING:
        problems.append(f"container {name} has no readinessProbe")
    resources = dig(container, "resources")
    for kind in ("requests", "limits"):
        for unit in ("cpu", "memory"):
            if dig(resources, kind, unit) is MISSING:
                problems.append(f"container {name} sets no {unit} {kind}")
    return problems


def _spreads_over_zones(spec: Any) -> bool:
    return any(
        dig(c, "topologyKey") == ZONE_KEY for c in items(dig(spec, "topologySpreadConstraints"))
    )


def check_deployments(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    deployments = _in_namespace(resources, DEPLOYMENT)
    for name in DEPLOYMENTS:
        deployment = deployments.get(name)
        if deployment is None:
            yield (f"Deployment {NAMESPACE}/{name} is missing", None)
            continue
        pod = dig(deployment.props, "spec", "template", "spec")
        containers = items(dig(pod, "containers"))
        problems = [p for c in containers for p in _container_problems(c)]
        if not containers:
            problems.append("it has no containers")
        if not _spreads_over_zones(pod):
            problems.append(f"it has no topologySpreadConstraints over {ZONE_KEY}")
        for problem in problems:
            yield (f"Deployment {NAMESPACE}/{name}: {problem}", deployment.urn)


def check_hpas(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    hpas = _in_namespace(resources, *HPAS)
    for hpa_name, target in REQUIRED_HPAS.items():
        hpa = hpas.get(hpa_name)
        if hpa is None:
            yield (f"HorizontalPodAutoscaler {NAMESPACE}/{hpa_name} is missing", None)
            continue
        ref = dig(hpa.props, "spec", "scaleTargetRef")
        if dig(ref, "kind") != "Deployment" or dig(ref, "name") != target:
            yield (
                f"HorizontalPodAutoscaler {hpa_name} targets {dig(ref, 'kind')}/"
                f"{dig(ref, 'name')}, not Deployment/{target}",
                hpa.urn,
            )


def _selects(pdb: PolicyResource, labels: Any) -> bool:
    wanted = dig(pdb.props, "spec", "selector", "matchLabels")
    if not isinstance(wanted, Mapping) or not isinstance(labels, Mapping) or not wanted:
        return False
    return all(dig(labels, key) == value for key, value in wanted.items())


def check_pdbs(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    pdbs = list(_in_namespace(resources, *PDBS).values())
    for name, deployment in _in_namespace(resources, DEPLOYMENT).items():
        if name not in DEPLOYMENTS:
            continue
        labels = dig(deployment.props, "spec", "template", "metadata", "labels")
        if not any(_selects(pdb, labels) for pdb in pdbs):
            yield (f"Deployment {NAMESPACE}/{name} has no PodDisruptionBudget", deployment.urn)


POLICIES = [
    stack_policy(
        name="k8s-deployments",
        description=(
            f"Deployments {', '.join(DEPLOYMENTS)} run in {NAMESPACE} with readiness probes, "
            "CPU and memory requests and limits, and spread across the three zones."
        ),
        remediation=(
            "Give every container a readinessProbe and resources.requests/limits, and the pod "
            f"spec a topologySpreadConstraint on {ZONE_KEY}."
        ),
        checks=[check_deployments],
    ),
    stack_policy(
        name="k8s-autoscalers",
        description="frontend-hpa and trading-service-hpa scale their Deployments.",
        remediation="Create the autoscalers with scaleTargetRef pointing at the Deployments.",
        checks=[check_hpas],
    ),
    stack_policy(
        name="k8s-disruption-budgets",
        description=(
            "Each Deployment has a PodDisruptionBudget, so node drains and upgrades never take "
            "all its pods at once."
        ),
        remediation="Create a PodDisruptionBudget whose selector matches the pod labels.",
        checks=[check_pdbs],
    ),
]
