"""checkov custom check for what checkov lacks: spreading the workloads over the three AZs.

Loaded by checkov (its own tool environment) through ``--external-checks-dir``; the project
environment never imports this module, so it may import checkov freely.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

ZONE_KEY = "topology.kubernetes.io/zone"


def _pod_spec(conf: dict[str, Any]) -> dict[str, Any]:
    template = (conf.get("spec") or {}).get("template") or {}
    return template.get("spec") or {}


class DeploymentZoneSpread(BaseK8Check):
    """A Deployment spreads its pods over zones, so losing one AZ keeps two thirds running."""

    def __init__(self) -> None:
        super().__init__(
            name="Deployment spreads its pods across Availability Zones",
            id="CKV_COMMSEC_1",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["Deployment"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        constraints = _pod_spec(conf).get("topologySpreadConstraints") or []
        for constraint in constraints:
            if isinstance(constraint, dict) and constraint.get("topologyKey") == ZONE_KEY:
                skew = constraint.get("maxSkew", 1)
                # Rendered manifests may carry JSON numbers as floats (1.0).
                if isinstance(skew, int | float) and skew <= 1:
                    return CheckResult.PASSED
        return CheckResult.FAILED


zone_spread = DeploymentZoneSpread()
