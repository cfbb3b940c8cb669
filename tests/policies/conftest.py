"""The real plans of every stack, recorded once per session by the offline engine."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops.plan.engine import run, write_out
from ops.plan.evaluate import evaluate_pack

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
_PLANS: dict[str, Any] = {}


def plan_of(stack: str) -> Any:
    if stack not in _PLANS:
        _PLANS[stack] = run(stack, ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    return _PLANS[stack]


def resources_of(stack: str) -> list[dict[str, Any]]:
    """A fresh deep copy of the stack's recorded resources, free to mutate."""
    return copy.deepcopy([r.as_json() for r in plan_of(stack).resources])


def find(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["name"] == name]
    assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
    return matches[0]


def violations_of(
    resources: list[dict[str, Any]], policy: str | None = None, *, stack: str = "prod"
) -> list[dict[str, str]]:
    found = evaluate_pack(resources, stack=stack)
    return [v for v in found if policy is None or v["policy"] == policy]


@pytest.fixture
def prod_resources() -> list[dict[str, Any]]:
    return resources_of("prod")


@pytest.fixture
def rendered_manifests(tmp_path: Path) -> Callable[[str], Path]:
    """Write a stack's rendered manifests under tmp_path and return their directory."""

    def render(stack: str) -> Path:
        plan = plan_of(stack)
        write_out(plan, plan.document(), tmp_path / stack)
        return tmp_path / stack / "manifests"

    return render
