"""The real plans of every stack satisfy the whole pack."""

from __future__ import annotations

import pytest

from ops.plan.evaluate import mandatory
from policies.rules import POLICIES
from tests.policies.conftest import STACKS, resources_of, violations_of


@pytest.mark.parametrize("stack", STACKS)
def test_stack_has_no_mandatory_violation(stack: str) -> None:
    found = violations_of(resources_of(stack), stack=stack)
    assert mandatory(found) == []


@pytest.mark.parametrize("policy", [p.name for p in POLICIES])
def test_prod_plan_passes_policy(policy: str) -> None:
    assert violations_of(resources_of("prod"), policy) == []


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_lcu_reservation_is_advisory_outside_prod(stack: str) -> None:
    found = violations_of(resources_of(stack), stack=stack)
    assert [(v["policy"], v["enforcement"]) for v in found] == [("alb-lcu-reservation", "advisory")]
    assert "commsec-web-alb" in found[0]["urn"]


def test_every_policy_is_documented_and_kebab_case() -> None:
    for policy in POLICIES:
        assert policy.name == policy.name.lower() and " " not in policy.name
        assert policy.description and policy.remediation_steps
        assert policy.enforcement_level is not None
