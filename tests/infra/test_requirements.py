"""Every operating requirement, as values, for every stack's offline plan."""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Callable

import pytest

from infra import contract
from ops.plan.engine import PlanResult
from tests.infra import requirements as req


@pytest.mark.parametrize("check", req.CHECKS, ids=lambda c: c.__name__)
def test_requirement_holds(plan: PlanResult, check: Callable[[PlanResult], None]) -> None:
    check(plan)


def _first(plan: PlanResult, type_token: str, **match: str) -> dict:
    for resource in plan.of_type(type_token):
        if all(resource.inputs.get(k) == v for k, v in match.items()):
            return resource.inputs
    raise LookupError(type_token)


def _two_azs(p: PlanResult) -> None:
    subnets = [s for s in p.of_type(req.SUBNET) if s.inputs["tags"]["tier"] == "private"]
    subnets[2].inputs["availabilityZone"] = subnets[0].inputs["availabilityZone"]


def _drop_nat(p: PlanResult) -> None:
    p.resources.remove(p.of_type(req.NAT)[0])


def _small_node_group(p: PlanResult) -> None:
    _first(p, req.NODE_GROUP)["scalingConfig"]["maxSize"] = 6


def _zonal_shift_off(p: PlanResult) -> None:
    _first(p, req.ALB, name=contract.APP_ALB_NAME)["enableZonalShift"] = False


def _no_reservation(p: PlanResult) -> None:
    _first(p, req.ALB, name=contract.WEB_ALB_NAME).pop("minimumLoadBalancerCapacity")


def _window_in_trading_hours(p: PlanResult) -> None:
    # 03:00-04:00 UTC: the runbook's literal, 13:00-14:00 AEST / 14:00-15:00 AEDT.
    _first(p, req.AUTOSHIFT_TYPE)["allowedWindows"].append("Wed:03:00-Wed:04:00")


def _dst_only_window(p: PlanResult) -> None:
    # Safe under AEST (10:00 open = 00:00 UTC) but inside the open under AEDT (23:00 UTC).
    _first(p, req.AUTOSHIFT_TYPE)["allowedWindows"].append("Tue:23:00-Tue:23:59")


def _short_retention(p: PlanResult) -> None:
    _first(p, req.RDS)["backupRetentionPeriod"] = 7


def _single_az_db(p: PlanResult) -> None:
    _first(p, req.RDS)["multiAz"] = False


def _overlapping_windows(p: PlanResult) -> None:
    db = _first(p, req.RDS)
    db["maintenanceWindow"] = f"sat:{db['backupWindow'].replace('-', '-sat:')}"


def _silent_alarm(p: PlanResult) -> None:
    _first(p, req.ALARM)["alarmActions"] = []


def _soft_5xx_alarm(p: PlanResult) -> None:
    _first(p, req.ALARM, metricName="HTTPCode_Target_5XX_Count")["evaluationPeriods"] = 3


def _no_hpa(p: PlanResult) -> None:
    hpa = next(h for h in p.of_type(req.HPA) if h.inputs["metadata"]["name"] == "frontend-hpa")
    p.resources.remove(hpa)


def _missing_output(p: PlanResult) -> None:
    p.outputs.pop("dbEndpoint")


BREAKAGES = {
    "check_three_azs_per_tier": _two_azs,
    "check_nat_per_az": _drop_nat,
    "check_node_groups": _small_node_group,
    "check_load_balancers": _zonal_shift_off,
    "check_lcu_reservation": _no_reservation,
    "check_autoshift": _window_in_trading_hours,
    "check_database": _short_retention,
    "check_alarms": _silent_alarm,
    "check_workloads": _no_hpa,
    "check_outputs": _missing_output,
}
EXTRA_BREAKAGES = {
    "dst-only window": ("check_autoshift", _dst_only_window),
    "single-AZ database": ("check_database", _single_az_db),
    "overlapping windows": ("check_database", _overlapping_windows),
    "5xx alarm not as the runbook": ("check_alarms", _soft_5xx_alarm),
}


def test_every_check_has_a_breakage() -> None:
    assert {c.__name__ for c in req.CHECKS} == set(BREAKAGES)


@pytest.mark.parametrize(
    ("check_name", "breakage"),
    [*BREAKAGES.items(), *EXTRA_BREAKAGES.values()],
    ids=[*BREAKAGES, *EXTRA_BREAKAGES],
)
def test_a_broken_requirement_fails_its_check(
    plans: dict[str, PlanResult], check_name: str, breakage: Callable[[PlanResult], None]
) -> None:
    broken = copy.deepcopy(plans["prod"])
    breakage(broken)
    with pytest.raises(AssertionError):
        getattr(req, check_name)(broken)


def _taggable(type_token: str) -> bool:
    package, rest = type_token.split(":", 1)
    module_path, class_name = rest.split(":")
    module = importlib.import_module(f"pulumi_{package}.{module_path.split('/')[0]}")
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_aws_resource_carries_the_cost_tags(plan: PlanResult) -> None:
    aws = [r for r in plan.resources if r.type.startswith("aws:") and r.custom]
    taggable = [r for r in aws if _taggable(r.type)]
    assert len(taggable) > 60
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert tags.get("environment") == plan.stack, resource.urn
        assert tags.get("owner") and tags.get("cost-centre"), resource.urn


def test_every_resource_is_parented_by_its_component(plan: PlanResult) -> None:
    stack_urn = f"urn:pulumi:{plan.stack}::commsec-platform::pulumi:pulumi:Stack::"
    for resource in plan.resources:
        top_level = resource.type.startswith("commsec:")
        assert (resource.parent or "").startswith(stack_urn) == top_level, resource.urn
        if not top_level:
            assert resource.parent and "commsec:" in resource.parent.split("::")[2], resource.urn


def test_urns_are_built_the_way_the_engine_builds_them(plans: dict[str, PlanResult]) -> None:
    alb = next(r for r in plans["prod"].resources if r.name == "commsec-web-alb")
    assert alb.urn == (
        "urn:pulumi:prod::commsec-platform::commsec:loadbalancer:LoadBalancer"
        "$aws:lb/loadBalancer:LoadBalancer::commsec-web-alb"
    )
    assert alb.parent == (
        "urn:pulumi:prod::commsec-platform::commsec:loadbalancer:LoadBalancer::commsec-web"
    )


def test_environments_differ_only_where_configured(plans: dict[str, PlanResult]) -> None:
    types = {stack: sorted(r.type for r in p.resources) for stack, p in plans.items()}
    assert types["dev"] == types["staging"] == types["prod"]
    cidrs = {p.of_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"] for p in plans.values()}
    assert len(cidrs) == 3
    dev_web = _first(plans["dev"], req.ALB, name=contract.WEB_ALB_NAME)
    assert "minimumLoadBalancerCapacity" not in dev_web


def test_web_alb_admits_only_cloudfront_over_https(plan: PlanResult) -> None:
    (sg,) = [r for r in plan.resources if r.name == "commsec-web-sg"]
    (rule,) = sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (443, 443, "tcp")
    assert rule["prefixListIds"] == ["pl-3b927c52"] and "cidrBlocks" not in rule
