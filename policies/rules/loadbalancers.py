"""The two Application Load Balancers: zonal shift and autoshift, capacity, hardening, TLS."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, PolicyResource

from infra.contract import APP_ALB_NAME, WEB_ALB_NAME
from infra.market import parse_arc_window, peak_conflicts
from policies.rules._base import (
    MISSING,
    Check,
    Config,
    Finding,
    Props,
    dig,
    is_true,
    items,
    must_be_true,
    number,
    of_type,
    physical_name,
    refers_to,
    resource_policy,
    stack_policy,
    text,
)

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
AUTOSHIFT = "aws:arczonalshift/zonalAutoshiftConfiguration:ZonalAutoshiftConfiguration"
# ELB security policies that refuse anything older than TLS 1.2.
TLS12_POLICY_PREFIXES = (
    "ELBSecurityPolicy-TLS13-1-2-",
    "ELBSecurityPolicy-TLS13-1-3-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)


def _on_albs(*checks: Check) -> dict[str, tuple[Check, ...]]:
    return dict.fromkeys(LOAD_BALANCERS, checks)


def _access_logs(props: Props, _config: Config) -> str | None:
    logs = dig(props, "accessLogs")
    bucket = dig(logs, "bucket")
    if not is_true(dig(logs, "enabled")) or not isinstance(bucket, str) or not bucket:
        return "accessLogs must be enabled with a bucket"
    return None


def _is_web(props: Props) -> bool:
    return dig(props, "name") == WEB_ALB_NAME


def _lcu_reservation(props: Props, config: Config) -> str | None:
    if not _is_web(props):
        return None
    minimum = number(config.get("minimumCapacityUnits", 1))
    units = number(dig(props, "minimumLoadBalancerCapacity", "capacityUnits"))
    if units is None or units < (minimum or 1):
        return (
            f"minimumLoadBalancerCapacity.capacityUnits is {text(units if units else MISSING)}; "
            f"the web ALB needs an LCU reservation of at least {minimum:g} for the market open"
        )
    return None


def _listener_tls(props: Props, _config: Config) -> str | None:
    protocol = dig(props, "protocol")
    if protocol == "HTTPS":
        policy = dig(props, "sslPolicy")
        if not isinstance(policy, str) or not policy.startswith(TLS12_POLICY_PREFIXES):
            return f"sslPolicy is {text(policy)}; HTTPS listeners need a TLS 1.2+ policy"
        return None
    actions = items(dig(props, "defaultActions"))
    redirects = [a for a in actions if dig(a, "type") == "redirect"]
    if not redirects or any(dig(a, "redirect", "protocol") != "HTTPS" for a in redirects):
        return f"a {text(protocol)} listener must only redirect to HTTPS"
    return None


def check_albs_present(resources: Sequence[PolicyResource], _config: Config) -> Iterable[Finding]:
    albs = {physical_name(lb): lb for lb in of_type(resources, *LOAD_BALANCERS)}
    expected = {WEB_ALB_NAME: False, APP_ALB_NAME: True}
    for name, internal in expected.items():
        alb = albs.get(name)
        if alb is None:
            yield (f"load balancer {name} is missing", None)
        elif is_true(dig(alb.props, "internal")) != internal:
            kind = "internal" if internal else "internet-facing"
            yield (f"{name} must be {kind}", alb.urn)


def check_https_listeners(
    resources: Sequence[PolicyResource], _config: Config
) -> Iterable[Finding]:
    https = [
        listener
        for listener in of_type(resources, *LISTENERS)
        if dig(listener.props, "protocol") == "HTTPS"
    ]
    for alb in of_type(resources, *LOAD_BALANCERS):
        if not any(refers_to(dig(li.props, "loadBalancerArn"), alb) for li in https):
            yield (f"{physical_name(alb)} has no HTTPS listener", alb.urn)


def _arc_windows(props: Props, _config: Config) -> str | None:
    windows = items(dig(props, "allowedWindows"))
    if not windows:
        return "allowedWindows is empty; practice runs must be confined to off-peak windows"
    problems = []
    for raw in windows:
        try:
            window = parse_arc_window(str(raw))
        except ValueError as exc:
            problems.append(str(exc))
            continue
        problems += [f"allowedWindows {c}" for c in peak_conflicts([window])]
    return "; ".join(problems) or None


def _outcome_alarm(props: Props, _config: Config) -> str | None:
    alarms = items(dig(props, "outcomeAlarms"))
    if not any(isinstance(dig(a, "alarmIdentifier"), str) for a in alarms):
        return "outcomeAlarms is empty; ARC needs at least one outcome alarm for practice runs"
    return None


def _autoshift_enabled(props: Props, _config: Config) -> str | None:
    status = dig(props, "zonalAutoshiftStatus")
    if status != "ENABLED":
        return f"zonalAutoshiftStatus is {text(status)}; it must be ENABLED"
    return None


def check_autoshift_per_alb(
    resources: Sequence[PolicyResource], _config: Config
) -> Iterable[Finding]:
    configs = of_type(resources, AUTOSHIFT)
    for alb in of_type(resources, *LOAD_BALANCERS):
        if not any(refers_to(dig(c.props, "resourceArn"), alb) for c in configs):
            yield (
                f"{physical_name(alb)} has no zonal autoshift configuration (practice runs)",
                alb.urn,
            )


POLICIES = [
    stack_policy(
        name="alb-pair",
        description=(
            f"Two ALBs exist: {WEB_ALB_NAME} (internet-facing, behind CloudFront) and "
            f"{APP_ALB_NAME} (internal); the runbook and the CLI address them by these names."
        ),
        remediation="Create both load balancers with exactly these names.",
        checks=[check_albs_present],
    ),
    resource_policy(
        name="alb-zonal-shift",
        description="ARC zonal shift is enabled on every ALB, so traffic can leave an impaired AZ.",
        remediation="Set enableZonalShift=true on the load balancer.",
        checks=_on_albs(must_be_true("enableZonalShift")),
    ),
    resource_policy(
        name="alb-hardening",
        description=(
            "Every ALB has deletion protection, access logs and drops invalid header fields "
            "(request-smuggling defence)."
        ),
        remediation=(
            "Set enableDeletionProtection=true, accessLogs {enabled, bucket} and "
            "dropInvalidHeaderFields=true."
        ),
        checks=_on_albs(
            must_be_true("enableDeletionProtection"),
            _access_logs,
            must_be_true("dropInvalidHeaderFields"),
        ),
    ),
    resource_policy(
        name="alb-lcu-reservation",
        description=(
            f"{WEB_ALB_NAME} carries an LCU capacity reservation so it does not have to scale "
            "out while traffic triples at the 10:00 Sydney open. Cost-only outside production."
        ),
        remediation="Set minimumLoadBalancerCapacity.capacityUnits on the web ALB.",
        checks=_on_albs(_lcu_reservation),
        enforcement=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={"minimumCapacityUnits": {"type": "number", "minimum": 1, "default": 1}}
        ),
    ),
    resource_policy(
        name="alb-listener-tls",
        description=(
            "HTTPS listeners use a TLS 1.2+ security policy, and plain listeners only redirect "
            "to HTTPS."
        ),
        remediation="Use an ELBSecurityPolicy-TLS13-1-2-* policy; make port 80 a 301 to HTTPS.",
        checks=dict.fromkeys(LISTENERS, (_listener_tls,)),
    ),
    stack_policy(
        name="alb-https-listener",
        description="Every ALB serves HTTPS.",
        remediation="Add an HTTPS listener with a certificate to each load balancer.",
        checks=[check_https_listeners],
    ),
    stack_policy(
        name="alb-zonal-autoshift",
        description=(
            "Each ALB has a zonal autoshift configuration, so AWS shifts traffic away from a "
            "failing AZ on its own and rehearses it in practice runs."
        ),
        remediation="Create an aws.arczonalshift.ZonalAutoshiftConfiguration per load balancer.",
        checks=[check_autoshift_per_alb],
    ),
    resource_policy(
        name="arc-practice-runs",
        description=(
            "Autoshift is enabled with at least one outcome alarm, and practice runs are allowed "
            "only in windows outside Sydney's busy hours in both AEST and AEDT that never cross "
            "midnight UTC (ARC rejects such windows)."
        ),
        remediation="Derive allowedWindows from infra.market.arc_allowed_windows().",
        checks={AUTOSHIFT: (_arc_windows, _outcome_alarm, _autoshift_enabled)},
    ),
]
