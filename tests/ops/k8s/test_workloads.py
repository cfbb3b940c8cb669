"""``hpa``, ``scale deployment``, ``restart deployment`` and ``logs`` against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli, run_text
from tests.servers.kube_api import KubeApi


def _audit_lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "state" / "commsec" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_hpa_shows_replicas_and_metric_values(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = run_cli(capsys, "hpa")
    assert code == 0
    rows = {r["name"]: r for r in doc["result"]["autoscalers"]}
    assert rows["trading-service-hpa"]["current"] == 3
    assert rows["trading-service-hpa"]["desired"] == 4
    assert (rows["trading-service-hpa"]["min"], rows["trading-service-hpa"]["max"]) == (3, 10)
    assert rows["trading-service-hpa"]["metrics"] == ["cpu 82%/70%"]
    assert rows["frontend-hpa"]["target"] == "Deployment/frontend"


def test_scale_of_an_autoscaled_deployment_raises_the_hpa_floor(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, doc, err = run_cli(
        capsys, "scale", "deployment", "trading-service", "--replicas", "12", "--yes"
    )
    assert code == 0, err
    assert doc["result"]["via"] == "hpa"
    hpa = kube.get_object(
        "autoscaling", "v2", "horizontalpodautoscalers", s.NS, "trading-service-hpa"
    )
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (12, 12)
    deployment = kube.get_object("apps", "v1", "deployments", s.NS, "trading-service")
    assert deployment["spec"]["replicas"] == 3  # left to the HPA
    record = _audit_lines(tmp_path)[-1]
    assert record["before"] == {"minReplicas": 3, "maxReplicas": 10}
    assert record["after"] == {"minReplicas": 12, "maxReplicas": 12}
    assert record["target"] == "commsec/horizontalpodautoscaler/trading-service-hpa"


def test_scale_without_hpa_uses_the_scale_subresource(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = run_cli(capsys, "scale", "deployment", "api-gateway", "--replicas", "6", "--yes")
    assert code == 0
    assert doc["result"]["path"].endswith("/deployments/api-gateway/scale")
    assert (
        kube.get_object("apps", "v1", "deployments", s.NS, "api-gateway")["spec"]["replicas"] == 6
    )


def test_scale_dry_run_changes_nothing(kube: KubeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run_cli(
        capsys, "scale", "deployment", "frontend", "--replicas", "5", "--dry-run"
    )
    assert code == 0 and doc["result"]["dry_run"] is True
    assert doc["result"]["patch"] == {"spec": {"minReplicas": 5}}
    hpa = kube.get_object("autoscaling", "v2", "horizontalpodautoscalers", s.NS, "frontend-hpa")
    assert hpa["spec"]["minReplicas"] == 3


def test_scale_refuses_without_confirmation_when_not_interactive(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_text(capsys, "scale", "deployment", "api-gateway", "--replicas", "6")
    assert code == 2
    assert "without confirmation" in err
    assert (
        kube.get_object("apps", "v1", "deployments", s.NS, "api-gateway")["spec"]["replicas"] == 3
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replicas", "-1"], "--replicas -1 is outside 0..50"),
        (["--replicas", "ten"], "argument --replicas: invalid int value"),
    ],
)
def test_scale_bad_input(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_text(capsys, "scale", "deployment", "frontend", *argv, "--yes")
    assert code == 2
    assert message in err and err.startswith("Error: ")


def test_scale_of_an_unknown_deployment_is_an_input_error(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_text(capsys, "scale", "deployment", "nope", "--replicas", "2", "--yes")
    assert code == 2
    assert "reading Deployment commsec/nope: not found" in err


def test_restart_sets_the_restarted_at_annotation(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMSEC_NOW", "2026-12-04T06:30:00+00:00")
    code, _, err = run_text(capsys, "restart", "deployment", "frontend", "--yes")
    assert code == 0, err
    deployment = kube.get_object("apps", "v1", "deployments", s.NS, "frontend")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"kubectl.kubernetes.io/restartedAt": "2026-12-04T06:30:00Z"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["name"] == "frontend"


def test_logs_prefix_every_line_with_its_pod_and_filter(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_text(capsys, "logs", "trading-service", "--grep", "error", "-i")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0] == (
        "trading-service-7d9f8b6c5-h4mfp | ERROR order 991 rejected: price band (h4mfp)"
    )
    assert all("ERROR" in line for line in lines)


def test_logs_since_and_tail_are_passed_to_the_api(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc, _ = run_cli(capsys, "logs", "trading-service", "--since", "15m")
    assert sorted(i["line"] for i in doc["result"]["lines"]) == [
        "ERROR HikariPool-1 - Connection is not available",
        "INFO heartbeat ok (h4mfp)",
        "INFO heartbeat ok (n8wq2)",
    ]
    _, doc, _ = run_cli(capsys, "logs", "trading-service", "--tail", "1")
    assert len(doc["result"]["lines"]) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trading-service", "--since", "soon"], "--since 'soon' is not a duration"),
        (["trading-service", "--grep", "(unclosed"], "is not a valid regular expression"),
        (["trading-service", "--tail", "-3"], "--tail -3 must be zero or more lines"),
        (["no-such-app"], "no pods labelled app=no-such-app in namespace commsec"),
    ],
)
def test_logs_bad_input(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_text(capsys, "logs", *argv)
    assert code == 2
    assert message in err
