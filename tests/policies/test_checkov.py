"""checkov over the manifests the program renders: real runs of the pinned tool, offline.

checkov is installed by ``scripts/install-checkov`` (run by ``scripts/setup`` and CI) into
``.commsec/tools``; it never shares the project's environment.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ops.plan.checkov import CONFIG_FILE, LAUNCHER, CheckovUnavailable, run_checkov
from tests.policies.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not LAUNCHER.exists(), reason="checkov missing: run scripts/install-checkov"
)
Render = Callable[[str], Path]


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_manifests_pass(rendered_manifests: Render, stack: str) -> None:
    result = run_checkov(rendered_manifests(stack))
    assert result["ok"] is True, result["failures"]
    assert result["failed"] == 0 and result["parse_errors"] == []
    assert result["passed"] > 100 and result["resource_count"] >= 15


def test_manifest_missing_a_probe_fails(rendered_manifests: Render) -> None:
    manifests = rendered_manifests("prod")
    _edit(
        manifests / "deployment-commsec-trading-service.yaml",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe"),
    )

    result = run_checkov(manifests)

    assert result["ok"] is False
    assert [(f["check_id"], f["resource"]) for f in result["failures"]] == [
        ("CKV_K8S_9", "Deployment.commsec.trading-service")
    ]
    assert result["problem"] == "1 checkov check(s) failed"


def test_custom_check_catches_missing_zone_spread(rendered_manifests: Render) -> None:
    manifests = rendered_manifests("prod")
    _edit(
        manifests / "deployment-commsec-frontend.yaml",
        lambda d: d["spec"]["template"]["spec"].pop("topologySpreadConstraints"),
    )

    failed = {f["check_id"] for f in run_checkov(manifests)["failures"]}

    assert failed == {"CKV_COMMSEC_1"}


def test_unparseable_manifest_fails(rendered_manifests: Render) -> None:
    manifests = rendered_manifests("prod")
    (manifests / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [\n")

    result = run_checkov(manifests)

    assert result["ok"] is False
    assert len(result["parse_errors"]) == 1 and "broken.yaml" in result["parse_errors"][0]
    assert result["problem"].startswith("checkov could not parse 1 manifest(s)")


def test_zero_scanned_resources_fails(tmp_path: Path) -> None:
    result = run_checkov(tmp_path)
    assert result["ok"] is False and result["resource_count"] == 0
    assert result["problem"] == (
        "checkov scanned zero resources; the manifests are missing or unreadable"
    )


def test_every_skip_has_a_reason_beside_it() -> None:
    lines = CONFIG_FILE.read_text().splitlines()
    skips = yaml.safe_load(CONFIG_FILE.read_text())["skip-check"]
    assert skips, "the config lists its skips"
    for check in skips:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[index - 1].strip().startswith("#"), f"{check} has no reason"


def test_missing_launcher_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMMSEC_CHECKOV", str(tmp_path / "nowhere" / "checkov"))
    with pytest.raises(CheckovUnavailable, match="run scripts/install-checkov"):
        run_checkov(tmp_path)


def test_checkov_stays_out_of_the_project_environment() -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-checkov")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # Installed (and re-checked) in its own tool environment, never importable here.
    assert importlib.util.find_spec("checkov") is None
    assert LAUNCHER.resolve().is_relative_to(ROOT / ".commsec" / "tools")
