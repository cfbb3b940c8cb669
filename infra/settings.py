"""Typed stack settings: ``pulumi.Config`` is read once here and validated before any resource.

Every rule raises :class:`SettingsError` with one sentence naming the key, the value, the
rule and the fix, so ``pulumi preview`` and ``commsec plan`` stop before registering anything.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infra.contract import (
    BACKUP_RETENTION_DAYS,
    NODE_GROUP_MAX_FLOOR,
    NODE_GROUP_MIN_FLOOR,
    NODE_GROUP_SIZE_QUOTA,
    WORKLOAD_REPLICA_FLOOR,
)

PROJECT = "commsec-platform"
ENVIRONMENTS = ("dev", "staging", "prod")

# Current-generation families only; an unknown family is almost always a typo ("m6.large").
NODE_FAMILIES = frozenset(
    {"m6i", "m6a", "m6g", "m7i", "m7a", "m7g", "c6i", "c6a", "c6g", "c7i", "c7a", "c7g"}
    | {"r6i", "r6a", "r6g", "r7i", "r7a", "r7g", "t3", "t3a"}
)
DB_FAMILIES = frozenset(
    {"db.m6i", "db.m6g", "db.m7g", "db.m7i", "db.r6i", "db.r6g", "db.r7g", "db.r7i", "db.t4g"}
)
_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z][a-z0-9]*)\.(?P<size>[a-z0-9-]+)$")
_DB_CLASS = re.compile(r"^(?P<family>db\.[a-z][a-z0-9]*)\.(?P<size>[a-z0-9-]+)$")
# The size names EC2 and RDS use (EC2 User Guide, "Amazon EC2 instance type naming
# conventions"): nano to xlarge, Nxlarge, and metal or metal-Nxl for bare metal.
# NOTE: a valid size may still not exist in a given family (t3.metal); only the EC2 API's
# instance-type offerings know every pair, and they are not reachable offline.
_INSTANCE_SIZE = re.compile(
    r"^(nano|micro|small|medium|large|xlarge|(2|3|4|6|8|9|10|12|16|18|24|32|48|56|96|112|224)"
    r"xlarge|metal|metal-(16|24|32|48|96)xl)$"
)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_AZ = re.compile(r"^(?P<region>[a-z]{2}-[a-z]+-\d)[a-z]$")
_ACM_ARN = re.compile(r"^arn:aws:acm:(?P<region>[a-z]{2}-[a-z]+-\d):\d{12}:certificate/[0-9a-f-]+$")
_IMAGE = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$")
_HOSTNAME = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
# An ALB LCU reservation has a floor of 100 units; 0 means "no reservation".
LCU_MINIMUM = 100
# Elastic Load Balancing User Guide, "Quotas for your Application Load Balancers": reserved
# LCUs per Application Load Balancer, 15,000.
LCU_MAXIMUM = 15_000
# RDS API Reference, CreateDBInstance AllocatedStorage for RDS for PostgreSQL on gp2/gp3:
# an integer from 20 to 65,536 GiB (the same ceiling bounds MaxAllocatedStorage).
DB_STORAGE_MINIMUM = 20
DB_STORAGE_MAXIMUM = 65_536
# Tagging AWS Resources User Guide, "Tag naming limits and requirements": a value holds up
# to 256 Unicode characters: letters, digits, spaces and _ . : / = + - @.
TAG_VALUE_MAXIMUM = 256
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


class SettingsError(ValueError):
    """A stack setting breaks a rule; the message names key, value, rule and fix."""

    def __init__(self, key: str, value: object, rule: str, fix: str) -> None:
        self.key, self.value, self.rule, self.fix = key, value, rule, fix
        name = qualified(key)
        if value is None:
            super().__init__(f"{name}: {rule}; {fix}")
            return
        shown = value if isinstance(value, str) else json.dumps(value)
        if len(shown) > 80:
            # A hostile or pasted value must not flood the one-line error.
            shown = f"{shown[:60]}... ({len(shown)} characters)"
        super().__init__(f"{name} = {shown!r}: {rule}; {fix}")


def qualified(key: str) -> str:
    """The key as written in a stack file: another provider's keys (``aws:region``) carry
    their own namespace, the program's own keys take the project's."""
    return key if ":" in key.split(".", 1)[0] else f"{PROJECT}:{key}"


@dataclass(frozen=True)
class NodeGroupSettings:
    instance_type: str
    min_size: int
    max_size: int
    desired_size: int


@dataclass(frozen=True)
class WorkloadSettings:
    image: str
    min_replicas: int
    max_replicas: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class Settings:
    environment: str
    region: str
    owner: str
    cost_centre: str
    availability_zones: tuple[str, str, str]
    vpc_cidr: str
    public_subnet_cidrs: tuple[str, ...]
    private_subnet_cidrs: tuple[str, ...]
    database_subnet_cidrs: tuple[str, ...]
    kubernetes_version: str
    api_public_access_cidrs: tuple[str, ...]
    web_nodes: NodeGroupSettings
    app_nodes: NodeGroupSettings
    web_certificate_arn: str
    app_certificate_arn: str
    cloudfront_certificate_arn: str
    web_domain_name: str
    web_alb_capacity_units: int
    db_instance_class: str
    db_engine_version: str
    db_allocated_storage: int
    db_max_allocated_storage: int
    backup_retention_days: int
    alert_email: str
    log_retention_days: int
    workloads: dict[str, WorkloadSettings]

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "environment": self.environment,
            "owner": self.owner,
            "cost-centre": self.cost_centre,
        }


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    """Reads raw values from a ``pulumi.Config``-like getter and checks their shapes."""

    def __init__(self, get: Callable[[str], str | None]) -> None:
        self._get_raw = get
        self.seen: set[str] = set()

    def _get(self, key: str) -> str | None:
        self.seen.add(key)
        return self._get_raw(key)

    def raw(self, key: str) -> str | None:
        return self._get(key)

    def string(self, key: str, default: str | None = None) -> str:
        value = self._get(key)
        if value is None or value == "":
            if default is not None:
                return default
            raise SettingsError(
                key, "", "is required", f"run `pulumi config set {qualified(key)} VALUE`"
            )
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self._get(key)
        if value is None and default is not None:
            return default
        try:
            return int(str(value).strip())
        except ValueError:
            raise SettingsError(
                key, value, "must be a whole number", f"set {qualified(key)} to digits only"
            ) from None

    def structured(self, key: str, kind: type, default: Any = None) -> Any:
        value = self._get(key)
        if value is None:
            if default is not None:
                return default
            raise SettingsError(key, "", "is required", f"add {qualified(key)} to the stack file")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, kind):
            raise SettingsError(
                key,
                value,
                f"must be a {kind.__name__}",
                f"write {qualified(key)} as a YAML {kind.__name__}",
            )
        return parsed


# --- rules -----------------------------------------------------------------------------------


def _check_region(region: str) -> str:
    if not region:
        raise SettingsError(
            "aws:region", None, "is required", "run `pulumi config set aws:region us-east-1`"
        )
    if not re.fullmatch(r"[a-z]{2}-[a-z]+-\d", region):
        raise SettingsError(
            "aws:region", region, "is not an AWS region", "set aws:region: us-east-1"
        )
    return region


def _check_azs(value: list[Any], region: str) -> tuple[str, str, str]:
    key = "availabilityZones"
    names = [str(v) for v in value]
    if len(names) != 3 or len(set(names)) != 3:
        raise SettingsError(
            key,
            names,
            "needs exactly three distinct Availability Zones (one per tier copy)",
            f"list three zones of {region}, e.g. [{region}a, {region}b, {region}c]",
        )
    for name in names:
        match = _AZ.match(name)
        if not match or match.group("region") != region:
            raise SettingsError(
                key,
                names,
                f"{name!r} is not an Availability Zone of {region}",
                f"use zone names such as {region}a",
            )
    return names[0], names[1], names[2]


def _check_cidrs(vpc: str, tiers: dict[str, list[Any]]) -> dict[str, tuple[str, ...]]:
    try:
        network = ipaddress.ip_network(vpc)
    except ValueError:
        raise SettingsError(
            "vpcCidr", vpc, "is not an IPv4 CIDR block", "write it like 10.20.0.0/16"
        ) from None
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        raise SettingsError(
            "vpcCidr",
            vpc,
            "must be an IPv4 block between /16 and /24",
            "choose a /16 such as 10.20.0.0/16",
        )
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    result: dict[str, tuple[str, ...]] = {}
    for key, blocks in tiers.items():
        if len(blocks) != 3:
            raise SettingsError(
                key,
                blocks,
                "needs one subnet CIDR per Availability Zone (three)",
                "list exactly three CIDR blocks",
            )
        for block in blocks:
            try:
                subnet = ipaddress.ip_network(str(block))
            except ValueError:
                raise SettingsError(
                    key, blocks, f"{block!r} is not a CIDR block", "write blocks like 10.20.0.0/20"
                ) from None
            if not subnet.subnet_of(network):  # type: ignore[arg-type]
                raise SettingsError(
                    key, blocks, f"{block} lies outside vpcCidr {vpc}", f"pick blocks inside {vpc}"
                )
            for other_key, other in seen:
                if subnet.overlaps(other):
                    raise SettingsError(
                        key,
                        blocks,
                        f"{block} overlaps {other} of {other_key}",
                        "give every subnet its own non-overlapping block",
                    )
            seen.append((key, subnet))  # type: ignore[arg-type]
        result[key] = tuple(str(b) for b in blocks)
    return result


def _check_public_cidrs(value: list[Any]) -> tuple[str, ...]:
    key = "apiPublicAccessCidrs"
    for block in value:
        try:
            network = ipaddress.ip_network(str(block))
        except ValueError:
            raise SettingsError(
                key,
                value,
                f"{block!r} is not a CIDR block",
                "list office or VPN ranges such as 203.0.113.0/24",
            ) from None
        if network.prefixlen < 8:
            raise SettingsError(
                key,
                value,
                f"{block} opens the cluster API to the world",
                "list only the operators' ranges, or [] for private access only",
            )
    return tuple(str(b) for b in value)


def reject_unknown(where: str, keys: Iterable[str], known: Iterable[str]) -> None:
    """Refuse a key the program does not read: a misspelt setting would silently fall back
    to a default (or vanish), which is worse than stopping."""
    known = sorted(known)
    for key in sorted(keys):
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        fix = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
        raise SettingsError(
            f"{where}{key}",
            None,
            "is not a setting of this program",
            f"remove it or fix its spelling ({fix})",
        )


def _check_size_name(key: str, value: str, size: str, example: str) -> None:
    if not _INSTANCE_SIZE.match(size):
        raise SettingsError(
            key,
            value,
            f"{size!r} is not an instance size",
            f"use a size such as large, xlarge, 2xlarge or metal, e.g. {example}",
        )


def _whole_number(key: str, raw: Any) -> int:
    """A count inside a structured value (YAML keeps 10.5 or 1e3 as text, never a number)."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SettingsError(key, raw, "must be a whole number", "write digits only")
    return raw


def _check_at_most(key: str, value: int, limit: int, rule: str, fix: str) -> None:
    if value > limit:
        raise SettingsError(key, value, f"must be at most {limit:,} ({rule})", fix)


def _check_tag_value(key: str, value: str) -> str:
    """A value that becomes an AWS tag: the tagging API refuses anything else at apply time,
    after the plan looked fine, and a control or bidi character would also mislead a reader."""
    if len(value) > TAG_VALUE_MAXIMUM:
        raise SettingsError(
            key,
            value,
            f"is {len(value)} characters; an AWS tag value holds at most {TAG_VALUE_MAXIMUM}",
            "shorten it, e.g. to the team's name",
        )
    for char in value:
        category = unicodedata.category(char)
        if category[0] in "LN" or category == "Zs" or char in _TAG_PUNCTUATION:
            continue
        raise SettingsError(
            key,
            value,
            f"contains U+{ord(char):04X} ({unicodedata.name(char, category)}), which an AWS "
            "tag value may not hold (letters, digits, spaces and _ . : / = + - @ only)",
            "remove that character",
        )
    return value


def _check_node_group(key: str, value: dict[str, Any]) -> NodeGroupSettings:
    reject_unknown(f"{key}.", value, ("instanceType", "minSize", "maxSize", "desiredSize"))
    instance_type = str(value.get("instanceType", ""))
    match = _INSTANCE_TYPE.match(instance_type)
    if not match or match.group("family") not in NODE_FAMILIES:
        raise SettingsError(
            f"{key}.instanceType",
            instance_type,
            "is not a known instance family",
            f"use one of {', '.join(sorted(NODE_FAMILIES))} with a size, e.g. m6i.large",
        )
    _check_size_name(f"{key}.instanceType", instance_type, match.group("size"), "m6i.xlarge")
    sizes = {
        field: _whole_number(f"{key}.{field}", value.get(field))
        for field in ("minSize", "maxSize", "desiredSize")
    }
    if sizes["minSize"] < NODE_GROUP_MIN_FLOOR:
        raise SettingsError(
            f"{key}.minSize",
            sizes["minSize"],
            f"must be at least {NODE_GROUP_MIN_FLOOR} (one node per AZ)",
            f"set it to {NODE_GROUP_MIN_FLOOR} or more",
        )
    if sizes["maxSize"] < NODE_GROUP_MAX_FLOOR:
        raise SettingsError(
            f"{key}.maxSize",
            sizes["maxSize"],
            f"must be at least {NODE_GROUP_MAX_FLOOR} for the market-open spike",
            f"set it to {NODE_GROUP_MAX_FLOOR} or more",
        )
    _check_at_most(
        f"{key}.maxSize",
        sizes["maxSize"],
        NODE_GROUP_SIZE_QUOTA,
        "the EKS quota of nodes per managed node group",
        "lower it, or raise the quota first and then this limit",
    )
    if sizes["minSize"] > sizes["maxSize"]:
        raise SettingsError(
            f"{key}.maxSize",
            sizes["maxSize"],
            f"must be at least minSize ({sizes['minSize']})",
            f"raise maxSize to {sizes['minSize']} or more, or lower minSize",
        )
    if not sizes["minSize"] <= sizes["desiredSize"] <= sizes["maxSize"]:
        raise SettingsError(
            f"{key}.desiredSize",
            sizes["desiredSize"],
            f"must lie between minSize ({sizes['minSize']}) and maxSize ({sizes['maxSize']})",
            "adjust desiredSize",
        )
    return NodeGroupSettings(
        instance_type, sizes["minSize"], sizes["maxSize"], sizes["desiredSize"]
    )


def _check_certificate(key: str, value: str, region: str) -> str:
    match = _ACM_ARN.match(value)
    if not match or match.group("region") != region:
        raise SettingsError(
            key,
            value,
            f"is not an ACM certificate ARN in {region}",
            f"paste the ARN of an issued certificate from ACM in {region}",
        )
    return value


_WORKLOAD_FIELDS = (
    "image",
    "minReplicas",
    "maxReplicas",
    "cpuRequest",
    "memoryRequest",
    "cpuLimit",
    "memoryLimit",
)


def _check_replicas(key: str, spec: dict[str, Any]) -> tuple[int, int]:
    low = _whole_number(f"{key}.minReplicas", spec.get("minReplicas"))
    high = _whole_number(f"{key}.maxReplicas", spec.get("maxReplicas"))
    if low < WORKLOAD_REPLICA_FLOOR:
        raise SettingsError(
            f"{key}.minReplicas",
            low,
            f"must be at least {WORKLOAD_REPLICA_FLOOR} (a single replica is down during every "
            "restart)",
            f"raise minReplicas to {WORKLOAD_REPLICA_FLOOR} or more",
        )
    if high < low:
        raise SettingsError(
            f"{key}.maxReplicas",
            high,
            f"must be at least minReplicas ({low})",
            f"raise maxReplicas to {low} or more, or lower minReplicas",
        )
    return low, high


# Kubernetes quantities this program writes: CPU in cores or millicores, memory in bytes,
# MiB or GiB. A CPU "512Mi" or a memory "500m" (millibytes) is accepted by the API server
# but is always a slip.
_QUANTITY = re.compile(r"^(?P<number>\d+(\.\d+)?)(?P<unit>m|Mi|Gi)?$")
_UNITS = {
    "cpu": {"": Decimal(1), "m": Decimal("0.001")},
    "memory": {"": Decimal(1), "Mi": Decimal(2**20), "Gi": Decimal(2**30)},
}
_EXAMPLES = {"cpu": "500m or 1", "memory": "512Mi or 2Gi"}


def _quantity(key: str, amount: str, kind: str) -> Decimal:
    match = _QUANTITY.match(amount)
    unit = (match.group("unit") or "") if match else None
    if match is None or unit not in _UNITS[kind]:
        raise SettingsError(
            key, amount, f"is not a Kubernetes {kind} quantity", f"write it like {_EXAMPLES[kind]}"
        )
    value = Decimal(match.group("number")) * _UNITS[kind][unit]
    if value <= 0:
        # The scheduler would place the pod anywhere and the HPA's utilisation (usage /
        # request) would divide by zero.
        raise SettingsError(key, amount, "must be more than 0", f"write it like {_EXAMPLES[kind]}")
    return value


def _check_resources(key: str, spec: dict[str, Any]) -> dict[str, str]:
    resources: dict[str, str] = {}
    for kind in ("cpu", "memory"):
        request_key, limit_key = f"{kind}Request", f"{kind}Limit"
        request_text, limit_text = str(spec.get(request_key, "")), str(spec.get(limit_key, ""))
        request = _quantity(f"{key}.{request_key}", request_text, kind)
        limit = _quantity(f"{key}.{limit_key}", limit_text, kind)
        if request > limit:
            # Kubernetes rejects the pod: a request may not exceed its limit.
            raise SettingsError(
                f"{key}.{request_key}",
                request_text,
                f"must not exceed {limit_key} ({limit_text})",
                f"lower {request_key} or raise {limit_key}",
            )
        resources[request_key], resources[limit_key] = request_text, limit_text
    return resources


def _check_workloads(value: dict[str, Any], names: tuple[str, ...]) -> dict[str, WorkloadSettings]:
    reject_unknown("workloads.", value, names)
    result = {}
    for name in names:
        spec = value.get(name)
        key = f"workloads.{name}"
        if not isinstance(spec, dict):
            raise SettingsError(key, spec, "is missing", f"add a {name} entry under workloads")
        reject_unknown(f"{key}.", spec, _WORKLOAD_FIELDS)
        image = str(spec.get("image", ""))
        if not _IMAGE.match(image) or image.endswith(":latest"):
            raise SettingsError(
                f"{key}.image",
                image,
                "must be pinned by version tag or digest",
                "use REGISTRY/REPO:1.2.3 or REGISTRY/REPO@sha256:DIGEST",
            )
        low, high = _check_replicas(key, spec)
        resources = _check_resources(key, spec)
        result[name] = WorkloadSettings(
            image,
            low,
            high,
            resources["cpuRequest"],
            resources["memoryRequest"],
            resources["cpuLimit"],
            resources["memoryLimit"],
        )
    return result


def _check_db(instance_class: str, version: str, storage: int, max_storage: int) -> None:
    match = _DB_CLASS.match(instance_class)
    if not match or match.group("family") not in DB_FAMILIES:
        raise SettingsError(
            "dbInstanceClass",
            instance_class,
            "is not a known RDS instance class family",
            f"use one of {', '.join(sorted(DB_FAMILIES))} with a size, e.g. db.r6g.large",
        )
    _check_size_name("dbInstanceClass", instance_class, match.group("size"), "db.r6g.xlarge")
    if not re.fullmatch(r"16\.\d+", version):
        raise SettingsError(
            "dbEngineVersion", version, "must be a PostgreSQL 16 minor version", "set it like 16.6"
        )
    if storage < DB_STORAGE_MINIMUM:
        raise SettingsError(
            "dbAllocatedStorage",
            storage,
            f"must be at least {DB_STORAGE_MINIMUM} GiB (the RDS minimum for PostgreSQL)",
            f"raise it to {DB_STORAGE_MINIMUM} or more",
        )
    for key, amount in (("dbAllocatedStorage", storage), ("dbMaxAllocatedStorage", max_storage)):
        _check_at_most(
            key,
            amount,
            DB_STORAGE_MAXIMUM,
            "GiB, the RDS for PostgreSQL storage maximum",
            f"lower it to {DB_STORAGE_MAXIMUM} or less",
        )
    if max_storage < storage:
        raise SettingsError(
            "dbMaxAllocatedStorage",
            max_storage,
            f"must be at least dbAllocatedStorage ({storage} GiB)",
            f"raise dbMaxAllocatedStorage to {storage} or more",
        )


def load(
    get: Callable[[str], str | None],
    region: str | None,
    configured: Iterable[str] | None = None,
) -> Settings:
    """Build and validate :class:`Settings` from a ``pulumi.Config``-style getter.

    ``configured`` are the project's keys present in the stack (without the ``project:``
    prefix); any that the program does not read is refused.
    """
    from infra.contract import DEPLOYMENTS

    read = _Reader(get)
    region = _check_region(region or "")
    environment = read.string("environment")
    if environment not in ENVIRONMENTS:
        raise SettingsError(
            "environment",
            environment,
            f"must be one of {', '.join(ENVIRONMENTS)}",
            "set it to the stack's environment",
        )
    azs = _check_azs(read.structured("availabilityZones", list), region)
    vpc_cidr = read.string("vpcCidr")
    subnets = _check_cidrs(
        vpc_cidr,
        {
            key: read.structured(key, list)
            for key in ("publicSubnetCidrs", "privateSubnetCidrs", "databaseSubnetCidrs")
        },
    )
    retention = read.integer("backupRetentionDays", BACKUP_RETENTION_DAYS)
    if retention < BACKUP_RETENTION_DAYS or retention > 35:
        raise SettingsError(
            "backupRetentionDays",
            retention,
            f"must be {BACKUP_RETENTION_DAYS} days (the requirement; RDS allows 35 at most)",
            f"set it to {BACKUP_RETENTION_DAYS}",
        )
    email = read.string("alertEmail")
    if not _EMAIL.match(email):
        raise SettingsError(
            "alertEmail",
            email,
            "is not an e-mail address",
            "set it to the on-call list, e.g. oncall@commsec.example.com",
        )
    lcu = read.integer("webAlbCapacityUnits", 0)
    if lcu != 0 and lcu < LCU_MINIMUM:
        raise SettingsError(
            "webAlbCapacityUnits",
            lcu,
            f"an ALB capacity reservation starts at {LCU_MINIMUM} LCUs",
            f"use 0 (no reservation) or {LCU_MINIMUM} or more",
        )
    _check_at_most(
        "webAlbCapacityUnits",
        lcu,
        LCU_MAXIMUM,
        "the reserved-LCU quota of one Application Load Balancer",
        "size it from the open's peak LCUs, or raise the quota first and then this limit",
    )
    if environment == "prod" and lcu == 0:
        raise SettingsError(
            "webAlbCapacityUnits",
            lcu,
            "production needs an LCU reservation for the 10:00 market-open spike",
            "size it from the open's peak LCUs (traffic triples at the open)",
        )
    log_days = read.integer("logRetentionDays", 90)
    if log_days not in (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653):
        raise SettingsError(
            "logRetentionDays",
            log_days,
            "is not a CloudWatch Logs retention period",
            "use 30, 90, 365 or another value CloudWatch accepts",
        )
    domain = read.string("webDomainName")
    if not _HOSTNAME.match(domain):
        raise SettingsError(
            "webDomainName", domain, "is not a DNS name", "write it like trade.example.com"
        )
    version = read.string("kubernetesVersion")
    if not re.fullmatch(r"1\.\d{2}", version):
        raise SettingsError(
            "kubernetesVersion", version, "is not an EKS version", "write it like 1.31"
        )
    db_class = read.string("dbInstanceClass")
    db_version = read.string("dbEngineVersion")
    storage, max_storage = read.integer("dbAllocatedStorage"), read.integer("dbMaxAllocatedStorage")
    _check_db(db_class, db_version, storage, max_storage)
    settings = Settings(
        environment=environment,
        region=region,
        owner=_check_tag_value("owner", read.string("owner")),
        cost_centre=_check_tag_value("costCentre", read.string("costCentre")),
        availability_zones=azs,
        vpc_cidr=vpc_cidr,
        public_subnet_cidrs=subnets["publicSubnetCidrs"],
        private_subnet_cidrs=subnets["privateSubnetCidrs"],
        database_subnet_cidrs=subnets["databaseSubnetCidrs"],
        kubernetes_version=version,
        api_public_access_cidrs=_check_public_cidrs(
            read.structured("apiPublicAccessCidrs", list, [])
        ),
        web_nodes=_check_node_group("webNodeGroup", read.structured("webNodeGroup", dict)),
        app_nodes=_check_node_group("appNodeGroup", read.structured("appNodeGroup", dict)),
        web_certificate_arn=_check_certificate(
            "webCertificateArn", read.string("webCertificateArn"), region
        ),
        app_certificate_arn=_check_certificate(
            "appCertificateArn", read.string("appCertificateArn"), region
        ),
        # CloudFront only accepts certificates issued in us-east-1.
        cloudfront_certificate_arn=_check_certificate(
            "cloudfrontCertificateArn", read.string("cloudfrontCertificateArn"), "us-east-1"
        ),
        web_domain_name=domain,
        web_alb_capacity_units=lcu,
        db_instance_class=db_class,
        db_engine_version=db_version,
        db_allocated_storage=storage,
        db_max_allocated_storage=max_storage,
        backup_retention_days=retention,
        alert_email=email,
        log_retention_days=log_days,
        workloads=_check_workloads(read.structured("workloads", dict), DEPLOYMENTS),
    )
    if configured is not None:
        reject_unknown("", configured, read.seen)
    return settings


def from_pulumi() -> Settings:
    """Read the running stack's configuration once (the program's only ``Config`` reads)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    config = pulumi.Config(PROJECT)
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    configured = [key[len(prefix) :] for key in everything if key.startswith(prefix)]
    return load(config.get, pulumi.Config("aws").get("region"), configured)
