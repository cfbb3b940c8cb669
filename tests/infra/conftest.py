"""One offline plan per stack for the whole session: the program runs once per stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.plan import engine

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")


def stack_file(stack: str) -> Path:
    return ROOT / "stacks" / f"Pulumi.{stack}.yaml"


@pytest.fixture(scope="session")
def plans() -> dict[str, engine.PlanResult]:
    return {stack: engine.run(stack, stack_file(stack)) for stack in STACKS}


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest, plans: dict[str, engine.PlanResult]) -> engine.PlanResult:
    return plans[request.param]


def write_stack(tmp_path: Path, base: str, changes: dict[str, Any]) -> Path:
    """A copy of stack ``base`` with ``changes`` applied to its config (None deletes a key)."""
    document = yaml.safe_load(stack_file(base).read_text())
    for key, value in changes.items():
        full = key if ":" in key else f"commsec-platform:{key}"
        if value is None:
            document["config"].pop(full, None)
        else:
            document["config"][full] = value
    path = tmp_path / f"Pulumi.{base}-changed.yaml"
    path.write_text(yaml.safe_dump(document))
    return path
