"""The GitHub workflows wire every stack to the pack, in order, with a gate before prod.

They cannot run here; these tests pin the structure that makes them correct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.policies.conftest import ROOT, STACKS

WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML reads the bare key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def _steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_pull_request_runs_tests_plan_and_preview_for_every_stack() -> None:
    workflow = _load("pull-request.yml")
    jobs = workflow["jobs"]

    assert "pull_request" in workflow["on"]
    assert any("scripts/test" in str(s.get("run")) for s in jobs["tests"]["steps"])
    assert jobs["plan"]["strategy"]["matrix"]["stack"] == list(STACKS)
    assert any(
        "commsec plan ${{ matrix.stack }}" in str(s.get("run")) for s in jobs["plan"]["steps"]
    )
    (preview,) = _steps(jobs["preview"], "pulumi/actions@")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["policyPacks"] == "policies"
    assert preview["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert preview["if"] == "steps.creds.outputs.present == 'true'"


def test_policy_config_exists_for_every_stack() -> None:
    for stack in STACKS:
        assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()


def test_merge_deploys_in_order_through_gated_environments() -> None:
    jobs = _load("deploy.yml")["jobs"]
    assert [job["with"]["stack"] for job in jobs.values()] == list(STACKS)
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"

    stack_job = _load("deploy-stack.yml")["jobs"]["up"]
    assert stack_job["environment"] == "${{ inputs.stack }}"
    (up,) = _steps(stack_job, "pulumi/actions@")
    assert up["with"]["command"] == "up" and up["with"]["policyPacks"] == "policies"
    # The offline plan gates the deployment before any cloud credential is assumed.
    runs = [str(s.get("run", "")) + str(s.get("uses", "")) for s in stack_job["steps"]]
    plan_at = next(i for i, r in enumerate(runs) if "commsec plan" in r)
    creds_at = next(i for i, r in enumerate(runs) if "configure-aws-credentials" in r)
    assert plan_at < creds_at


def test_workflows_use_pinned_major_versions_of_standard_actions() -> None:
    for path in Path(WORKFLOWS).glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses:
                    assert "@v" in uses, f"{path.name}: {uses} is not pinned"
