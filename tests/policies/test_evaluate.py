"""Offline evaluation behaves as ``pulumi preview --policy-pack`` does around the rules."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from ops.plan import evaluate
from ops.plan.engine import COMPUTED
from ops.plan.evaluate import PolicyConfigError, evaluate_pack, mandatory
from tests.policies.conftest import find, resources_of, violations_of

DB = "commsec-db-instance"


def _crashing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:rds/instance:Instance":
        raise KeyError("backupWindow")


def test_crashing_rule_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = ResourceValidationPolicy(
        name="broken-rule",
        description="raises",
        validate=_crashing,
        enforcement_level=EnforcementLevel.ADVISORY,
    )
    monkeypatch.setattr(evaluate, "POLICIES", [*evaluate.POLICIES, broken])

    found = evaluate_pack(resources_of("prod"), stack="prod")

    crashes = [v for v in found if v["policy"] == "broken-rule"]
    assert len(crashes) == 1
    # Even an advisory rule that crashes is mandatory: a crash is never a pass.
    assert crashes[0]["enforcement"] == "mandatory"
    assert crashes[0]["message"].startswith("policy crashed (KeyError: 'backupWindow')")
    assert mandatory(found) == crashes


def test_crashing_stack_rule_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(args: StackValidationArgs, report: ReportViolation) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(
        evaluate,
        "POLICIES",
        [StackValidationPolicy(name="broken-stack", description="x", validate=explode)],
    )
    (found,) = evaluate_pack(resources_of("prod"), stack="prod", config={})
    assert found["enforcement"] == "mandatory" and "ZeroDivisionError" in found["message"]


def test_unknown_value_is_reported_as_advisory_not_passed() -> None:
    resources = resources_of("prod")
    find(resources, DB)["inputs"]["backupWindow"] = UNKNOWN_STRING_VALUE

    found = violations_of(resources, "rds-windows-off-peak")

    assert found == [
        {
            "policy": "rds-windows-off-peak",
            "enforcement": "advisory",
            "urn": find(resources, DB)["urn"],
            "message": "unknown at preview: string value at .backupWindow can't be known "
            "during preview",
        }
    ]


def test_engine_computed_marker_counts_as_unknown() -> None:
    resources = resources_of("prod")
    find(resources, DB)["inputs"]["kmsKeyId"] = COMPUTED
    (found,) = violations_of(resources, "rds-encrypted-cmk")
    assert found["enforcement"] == "advisory" and ".kmsKeyId" in found["message"]


def test_unknown_does_not_hide_a_known_mandatory_violation() -> None:
    resources = resources_of("prod")
    inputs = find(resources, "commsec-web-alb")["inputs"]
    inputs["accessLogs"] = UNKNOWN_STRING_VALUE
    inputs["enableDeletionProtection"] = False

    found = violations_of(resources, "alb-hardening")

    assert [v["enforcement"] for v in found] == ["mandatory", "advisory"]
    assert "enableDeletionProtection is False" in found[0]["message"]
    assert ".accessLogs" in found[1]["message"]


def test_unknown_in_stack_policy_is_reported() -> None:
    resources = resources_of("prod")
    find(resources, "commsec-monitoring-alerts-key")["inputs"]["policy"] = UNKNOWN_STRING_VALUE
    (found,) = violations_of(resources, "alerts-topic-encrypted")
    assert found["enforcement"] == "advisory" and found["urn"] == ""
    assert "unknown at preview" in found["message"]


def test_missing_inputs_never_crash_a_rule() -> None:
    resources = resources_of("prod")
    for resource in resources:
        resource["inputs"] = {}
    found = evaluate_pack(resources, stack="prod")
    assert not [v for v in found if v["message"].startswith("policy crashed")]
    assert {"rds-multi-az", "alb-zonal-shift", "k8s-deployments"} <= {v["policy"] for v in found}


def test_policy_config_sets_enforcement_levels() -> None:
    resources = resources_of("dev")
    as_mandatory = evaluate_pack(
        resources, stack="dev", config={"alb-lcu-reservation": {"enforcementLevel": "mandatory"}}
    )
    assert [v["enforcement"] for v in as_mandatory] == ["mandatory"]
    assert evaluate_pack(resources, stack="dev", config={"alb-lcu-reservation": "disabled"}) == []
    assert evaluate_pack(resources, stack="dev", config={"all": "disabled"}) == []


def test_stack_policy_config_files_exist_for_every_stack() -> None:
    for stack in ("dev", "staging", "prod"):
        assert "alb-lcu-reservation" in evaluate.load_policy_config(stack)


def test_lcu_minimum_comes_from_the_policy_config() -> None:
    config = {"alb-lcu-reservation": {"minimumCapacityUnits": 500}}
    (found,) = evaluate_pack(resources_of("prod"), stack="prod", config=config)
    assert found["policy"] == "alb-lcu-reservation" and found["enforcement"] == "mandatory"
    assert "capacityUnits is 400" in found["message"] and "at least 500" in found["message"]


def test_policy_config_properties_reach_the_rule() -> None:
    config: dict[str, Any] = {"required-tags": {"requiredTags": ["environment", "team"]}}
    found = evaluate_pack(resources_of("prod"), stack="prod", config=config)
    tags = [v for v in found if v["policy"] == "required-tags"]
    assert tags and all("missing tag(s) team" in v["message"] for v in tags)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"no-such-policy": "advisory"}, "'no-such-policy', which is not a policy"),
        ({"rds-multi-az": "warn"}, "enforcement level 'warn' is not one of"),
    ],
)
def test_bad_policy_config_is_an_error_naming_the_key(config: dict, expected: str) -> None:
    with pytest.raises(PolicyConfigError, match=expected):
        evaluate_pack(resources_of("prod"), stack="prod", config=config)


def test_rules_receive_the_sdk_argument_types(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def spy(args: Any, report: ReportViolation) -> None:
        seen.append(args)

    monkeypatch.setattr(
        evaluate,
        "POLICIES",
        [
            ResourceValidationPolicy(name="spy", description="x", validate=spy),
            StackValidationPolicy(name="stack-spy", description="x", validate=spy),
        ],
    )
    resources = resources_of("prod")
    evaluate_pack(resources, stack="prod", config={})

    resource_args = [a for a in seen if isinstance(a, ResourceValidationArgs)]
    (stack_args,) = [a for a in seen if isinstance(a, StackValidationArgs)]
    assert len(resource_args) == len(resources) == len(stack_args.resources)
    db = next(a for a in resource_args if a.name == DB)
    assert db.resource_type == "aws:rds/instance:Instance" and db.props["multiAz"] is True
    child = next(r for r in stack_args.resources if r.name == DB)
    assert child.parent is not None and child.parent.name == "commsec-db"
