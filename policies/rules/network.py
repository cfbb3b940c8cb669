"""Three Availability Zones for every tier, and a NAT gateway in each of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pulumi_policy import PolicyResource

from policies.rules._base import (
    MISSING,
    Config,
    Finding,
    dig,
    items,
    of_type,
    refers_to,
    stack_policy,
)

REQUIRED_AZS = 3
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
TIERS = ("public", "private", "database")
_TIER_WORDS = {
    "public": ("public",),
    "private": ("private", "node", "app"),
    "database": ("database", "db", "data"),
}

# What spans subnets: (type token, the property that lists the subnets).
SPANNING = {
    "aws:rds/subnetGroup:SubnetGroup": "subnetIds",
    "aws:lb/loadBalancer:LoadBalancer": "subnets",
    "aws:alb/loadBalancer:LoadBalancer": "subnets",
    "aws:eks/nodeGroup:NodeGroup": "subnetIds",
    "eks:index:ManagedNodeGroup": "subnetIds",
}


def subnet_tier(subnet: PolicyResource) -> str | None:
    """The tier of a subnet: its ``tier`` tag, else a tier word in its Name tag or name."""
    tags = dig(subnet.props, "tags")
    for key in ("tier", "Tier"):
        value = dig(tags, key)
        if isinstance(value, str) and value.lower() in TIERS:
            return value.lower()
    name = dig(tags, "Name")
    words = set(re.split(r"[^a-z0-9]+", f"{name if name is not MISSING else ''} {subnet.name}"))
    for tier, hints in _TIER_WORDS.items():
        if words & set(hints):
            return tier
    return None


def _subnet_az(subnet: PolicyResource) -> str | None:
    for key in ("availabilityZone", "availabilityZoneId"):
        value = dig(subnet.props, key)
        if isinstance(value, str) and value:
            return value
    return None


def check_subnet_tiers(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    subnets = of_type(resources, SUBNET)
    by_tier: dict[str, set[str]] = {tier: set() for tier in TIERS}
    for subnet in subnets:
        tier = subnet_tier(subnet)
        if tier is None:
            yield (
                f"subnet {subnet.name} has no tier: tag it tier=public|private|database",
                subnet.urn,
            )
            continue
        az = _subnet_az(subnet)
        if az is None:
            yield (f"subnet {subnet.name} has no availabilityZone set", subnet.urn)
            continue
        by_tier[tier].add(az)
    for tier, zones in by_tier.items():
        if len(zones) < REQUIRED_AZS:
            yield (
                f"{tier} subnets cover {len(zones)} Availability Zone(s) "
                f"({', '.join(sorted(zones)) or 'none'}); {REQUIRED_AZS} distinct AZs are required",
                None,
            )


def check_nat_per_az(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    gateways = of_type(resources, NAT_GATEWAY)
    subnets = of_type(resources, SUBNET)
    placed: set[str] = set()
    for gateway in gateways:
        subnet_id = dig(gateway.props, "subnetId")
        if subnet_id is MISSING:
            yield (f"NAT gateway {gateway.name} has no subnetId", gateway.urn)
            continue
        home = next((s for s in subnets if refers_to(subnet_id, s)), None)
        if home is not None and subnet_tier(home) != "public":
            yield (f"NAT gateway {gateway.name} is not in a public subnet", gateway.urn)
        zone = _subnet_az(home) if home is not None else None
        placed.add(zone or str(subnet_id))
    if len(placed) < REQUIRED_AZS:
        yield (
            f"{len(gateways)} NAT gateway(s) in {len(placed)} distinct place(s); one NAT gateway "
            f"per Availability Zone ({REQUIRED_AZS}) is required so losing an AZ keeps egress",
            None,
        )


def check_spanning(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    subnets = of_type(resources, SUBNET)
    for resource in resources:
        key = SPANNING.get(resource.resource_type)
        if key is None:
            continue
        refs = items(dig(resource.props, key))
        if not refs and resource.resource_type.endswith("loadBalancer:LoadBalancer"):
            refs = [dig(m, "subnetId") for m in items(dig(resource.props, "subnetMappings"))]
        distinct = {str(ref) for ref in refs}
        zones = set()
        for ref in distinct:
            home = next((s for s in subnets if refers_to(ref, s)), None)
            # NOTE: a reference that matches no recorded subnet (an id only known in the
            # cloud) still counts as one placement; the subnet tiers are checked above.
            zones.add((_subnet_az(home) if home is not None else None) or ref)
        if len(zones) < REQUIRED_AZS:
            yield (
                f"{resource.name} spans {len(zones)} Availability Zone(s) through {key}; "
                f"it must span {REQUIRED_AZS}",
                resource.urn,
            )


POLICIES = [
    stack_policy(
        name="subnets-three-azs",
        description=(
            "Public, private and database subnets each exist in three distinct Availability "
            "Zones, so the loss of one AZ leaves every tier running in the other two."
        ),
        remediation="Create one subnet per tier in each of three AZs and tag each with its tier.",
        checks=[check_subnet_tiers],
    ),
    stack_policy(
        name="nat-gateway-per-az",
        description=(
            "Each AZ has its own NAT gateway in its public subnet: a single NAT gateway is a "
            "cross-AZ single point of failure for all private egress."
        ),
        remediation="Create one NAT gateway in the public subnet of each of the three AZs.",
        checks=[check_nat_per_az],
    ),
    stack_policy(
        name="resources-span-three-azs",
        description=(
            "The DB subnet group, both load balancers and every node group span three "
            "Availability Zones, so zonal shift and Multi-AZ failover have somewhere to go."
        ),
        remediation="Pass the subnets of all three AZs to the resource named in the message.",
        checks=[check_spanning],
    ),
]
