"""``commsec plan`` end to end: text, JSON, the written plan and manifests, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra import contract
from ops import cli
from ops.commands import plan as plan_command
from tests.infra.conftest import ROOT


def _expected_code(document: dict) -> int:
    mandatory = [v for v in document["violations"] if v["enforcement"] == "mandatory"]
    return 1 if mandatory else 0


def test_json_plan_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["plan", "staging", "--format", "json", "--no-checkov", "--out", str(tmp_path)])
    document = json.loads(capsys.readouterr().out)
    assert code == _expected_code(document)
    assert set(document) == {"stack", "project", "resources", "outputs", "violations", "checkov"}
    assert document["stack"] == "staging" and document["project"] == "commsec-platform"
    assert document["checkov"] is None
    assert set(document["outputs"]) == contract.OUTPUT_NAMES
    assert document["outputs"]["kubeconfig"] == "[secret]"
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "inputs"}
        assert resource["urn"].endswith(f"::{resource['name']}")
    web = next(r for r in document["resources"] if r["name"] == "commsec-web-alb")
    assert web["inputs"]["enableZonalShift"] is True  # camelCase, as CrossGuard sees it
    assert json.loads((tmp_path / "plan.json").read_text()) == document


def test_manifests_are_written_one_per_object(tmp_path: Path) -> None:
    assert cli.main(["plan", "dev", "--no-checkov", "--out", str(tmp_path)]) in (0, 1)
    files = sorted(p.name for p in (tmp_path / "manifests").glob("*.yaml"))
    assert "deployment-commsec-trading-service.yaml" in files
    assert "horizontalpodautoscaler-commsec-frontend-hpa.yaml" in files
    assert "namespace-cluster-commsec.yaml" in files
    assert len(files) == 15, files
    deployment = yaml.safe_load(
        (tmp_path / "manifests" / "deployment-commsec-frontend.yaml").read_text()
    )
    assert deployment["apiVersion"] == "apps/v1" and deployment["kind"] == "Deployment"
    assert deployment["metadata"] == {
        "name": "frontend",
        "namespace": "commsec",
        "labels": {"app": "frontend", "tier": "frontend"},
    }
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8080  # whole numbers stay integers


def test_text_plan_shows_the_operator_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["plan", "prod", "--no-checkov", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    document = json.loads((tmp_path / "plan.json").read_text())
    assert code == _expected_code(document)
    assert "Resources by type" in out and "aws:ec2/natGateway:NatGateway" in out
    assert "us-east-1a  use1-az4" in out
    assert "web-tier-nodes  3    6        10" in out
    assert "commsec-web-alb  internet-facing  True         400" in out
    assert "Sat:00:00-Sat:23:59    Sat 10:00-Sun 09:59   Sat 11:00-Sun 10:59" in out
    assert "backup retention    35 days" in out
    assert "commsec-prod-web-alb-5xx" in out and "Sum > 100" in out
    assert "checkov: not run" in out


@pytest.mark.parametrize(
    ("violations", "checkov", "failed"),
    [
        ([], None, False),
        ([{"policy": "p", "enforcement": "advisory", "urn": "u", "message": "m"}], None, False),
        ([{"policy": "p", "enforcement": "mandatory", "urn": "u", "message": "m"}], None, True),
        ([], {"failed": 0, "parse_errors": [], "resource_count": 15}, False),
        ([], {"failed": 2, "parse_errors": [], "resource_count": 15, "problem": "x"}, True),
        ([], {"failed": 0, "parse_errors": ["a.yaml"], "resource_count": 14}, True),
        ([], {"failed": 0, "parse_errors": [], "resource_count": 0}, True),
    ],
)
def test_verdict_rules(violations: list, checkov: dict | None, failed: bool) -> None:
    assert bool(plan_command._failed(violations, checkov)) is failed


def test_console_script_runs_from_a_fresh_process(tmp_path: Path) -> None:
    commsec = Path(sys.executable).with_name("commsec")
    done = subprocess.run(
        [str(commsec), "plan", "dev", "--format", "json", "--no-checkov", "--out", str(tmp_path)],
        capture_output=True, text=True, env=dict(os.environ), cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    document = json.loads(done.stdout)
    assert done.returncode == _expected_code(document), done.stderr
    assert document["stack"] == "dev"
    assert document["outputs"]["region"] == "us-east-1"
