"""``commsec plan`` end to end: the pack's and checkov's verdicts decide its exit code."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ops import cli
from ops.plan import checkov as checkov_module
from ops.plan import engine, evaluate
from tests.policies.conftest import plan_of

needs_checkov = pytest.mark.skipif(
    not checkov_module.LAUNCHER.exists(), reason="checkov missing: run scripts/install-checkov"
)


def _serve_plan(monkeypatch: pytest.MonkeyPatch, name: str, change: Any) -> None:
    """Make the plan command see the real prod plan with one resource's inputs changed."""
    plan = copy.deepcopy(plan_of("prod"))
    change(next(r for r in plan.resources if r.name == name).inputs)
    monkeypatch.setattr(engine, "run", lambda stack, stack_file: plan)


def _plan_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, Any]:
    """Run the plan with JSON output; return its exit code and the plan document."""
    code = cli.main(["plan", "prod", "--format", "json", "--out", str(tmp_path)])
    printed = json.loads(capsys.readouterr().out)
    document = json.loads((tmp_path / "plan.json").read_text())
    assert printed == document  # stdout carries the same document as plan.json
    return code, document


def test_mandatory_violation_fails_the_plan_and_is_listed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _serve_plan(monkeypatch, "commsec-db-instance", lambda i: i.update(multiAz=False))

    code = cli.main(["plan", "prod", "--no-checkov", "--out", str(tmp_path)])
    text = capsys.readouterr().out

    assert code == 1
    assert "rds-multi-az" in text and "multiAz is False; it must be true" in text
    document = json.loads((tmp_path / "plan.json").read_text())
    assert [(v["policy"], v["enforcement"]) for v in document["violations"]] == [
        ("rds-multi-az", "mandatory")
    ]


@needs_checkov
def test_real_prod_plan_passes_with_checkov(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, document = _plan_json(capsys, tmp_path)
    assert code == 0
    assert document["violations"] == []
    assert document["checkov"]["failed"] == 0 and document["checkov"]["passed"] > 100


@needs_checkov
def test_manifest_missing_a_probe_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _serve_plan(
        monkeypatch,
        "commsec-workloads-api-gateway",
        lambda i: i["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe"),
    )

    code, document = _plan_json(capsys, tmp_path)

    assert code == 1
    assert ("CKV_K8S_9", "Deployment.commsec.api-gateway") in {
        (f["check_id"], f["resource"]) for f in document["checkov"]["failures"]
    }


@needs_checkov
def test_unparseable_manifest_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    original = engine.write_out

    def write_then_break(result: Any, document: Any, out_dir: Path) -> list[Path]:
        written = original(result, document, out_dir)
        (out_dir / "manifests" / "zz-broken.yaml").write_text("kind: Service\nspec: {\n")
        return written

    monkeypatch.setattr(engine, "write_out", write_then_break)

    code, document = _plan_json(capsys, tmp_path)

    assert code == 1
    assert document["violations"] == []
    assert "zz-broken.yaml" in document["checkov"]["parse_errors"][0]


def test_bad_policy_config_is_a_one_line_input_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "prod.json").write_text('{"alb-lcu-reservation": "sometimes"}')
    monkeypatch.setattr(evaluate, "CONFIG_DIR", tmp_path)

    code = cli.main(["plan", "prod", "--no-checkov", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err

    assert code == 2
    assert err.strip().splitlines() == [
        "Error: policy config 'alb-lcu-reservation': enforcement level 'sometimes' is not one "
        "of advisory, disabled, mandatory, remediate; use one of those"
    ]
