"""The CommSec operating requirements as CrossGuard policies.

``POLICIES`` is the whole pack. ``policies/__main__.py`` serves it to the Pulumi CLI and
``ops.plan.evaluate`` runs the very same objects offline, so a rule can be imported and
tested without starting the pack's gRPC server.
"""

from __future__ import annotations

from pulumi_policy import Policy

from policies.rules import (
    alarms,
    backups,
    eks,
    kubernetes,
    loadbalancers,
    network,
    rds,
    tags,
)

PACK_NAME = "commsec-guardrails"

POLICIES: list[Policy] = [
    *network.POLICIES,
    *rds.POLICIES,
    *loadbalancers.POLICIES,
    *eks.POLICIES,
    *alarms.POLICIES,
    *backups.POLICIES,
    *kubernetes.POLICIES,
    *tags.POLICIES,
]
