"""``hpa``, ``scale deployment``, ``restart deployment`` and ``logs`` against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli, run_text
from tests.servers.kube_api import KubeApi, KubeApiServer


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


@pytest.mark.parametrize("replicas", ["0", "1"])
def test_scale_below_the_platform_floor_needs_force(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path, replicas: str
) -> None:
    code, out, err = run_text(
        capsys, "scale", "deployment", "api-gateway", "--replicas", replicas, "--yes"
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: --replicas {replicas} is below the platform's floor of 2")
    assert "add --force" in err
    deployment = kube.get_object("apps", "v1", "deployments", s.NS, "api-gateway")
    assert deployment["spec"]["replicas"] == 3
    code, _, err = run_text(
        capsys, "scale", "deployment", "api-gateway", "--replicas", replicas, "--yes", "--force"
    )
    assert code == 0, err
    deployment = kube.get_object("apps", "v1", "deployments", s.NS, "api-gateway")
    assert deployment["spec"]["replicas"] == int(replicas)


def test_scale_to_zero_of_an_autoscaled_deployment_is_refused_even_with_force(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_text(
        capsys, "scale", "deployment", "frontend", "--replicas", "0", "--yes", "--force"
    )
    assert (code, out) == (2, "")
    assert "deployment/frontend is autoscaled by horizontalpodautoscaler/frontend-hpa" in err
    assert "HPAScaleToZero" in err
    hpa = kube.get_object("autoscaling", "v2", "horizontalpodautoscalers", s.NS, "frontend-hpa")
    assert hpa["spec"]["minReplicas"] == 3


@pytest.mark.parametrize(("name", "replicas"), [("frontend", "3"), ("api-gateway", "3")])
def test_scale_to_the_current_count_changes_nothing(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, replicas: str
) -> None:
    revision = kube.revision
    code, out, err = run_text(capsys, "scale", "deployment", name, "--replicas", replicas, "--yes")
    assert code == 0, err
    assert out.strip().endswith("nothing to change") and "Done" not in out
    assert kube.revision == revision  # no PATCH reached the server
    record = _audit_lines(tmp_path)[-1]
    assert record["result"] == "unchanged"
    assert record["before"] == record["after"]


def test_a_failure_after_the_patch_was_sent_says_what_was_submitted(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kmock

    from ops.commands import workloads

    real = workloads._summary

    def delete_then_summarise(*args: Any) -> str:
        # Someone deletes the Deployment between the plan's reads and the PATCH: the API
        # answers 404, which must not read as bad input once the PATCH has been sent.
        del kube.objects[kmock.resource("apps", "v1", "deployments"), s.NS, "api-gateway"]
        return real(*args)

    monkeypatch.setattr(workloads, "_summary", delete_then_summarise)
    code, out, err = run_text(
        capsys, "scale", "deployment", "api-gateway", "--replicas", "4", "--yes"
    )
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: PATCH /apis/apps/v1/namespaces/commsec/deployments/api-gateway/scale "
        "{'spec': {'replicas': 4}} was submitted and failed"
    )
    assert "may or may not have changed" in err and "before retrying" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tail", "99999999999999999999"], "--tail 99999999999999999999 must be zero or more"),
        (["--tail", "100001"], "--tail 100001 must be zero or more lines, at most 100000"),
        (["--since", "99999999999d"], "--since '99999999999d' is longer than the 30d"),
        (["--since", "31d"], "--since '31d' is longer than the 30d it accepts"),
    ],
)
def test_logs_tail_and_since_are_bounded_before_any_call(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    served = len(kube._requests)
    code, out, err = run_text(capsys, "logs", "trading-service", *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: {message}")
    assert len(kube._requests) == served


def test_the_longest_since_is_accepted(kube: KubeApi, capsys: pytest.CaptureFixture[str]) -> None:
    _, everything, _ = run_cli(capsys, "logs", "trading-service")
    code, doc, err = run_cli(
        capsys, "logs", "trading-service", "--since", "30d", "--tail", "100000"
    )
    assert code == 0, err
    assert len(doc["result"]["lines"]) == len(everything["result"]["lines"]) == 7


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("sinceSeconds=8639999999913600", None),
        ("sinceSeconds=99999999999999999999", "sinceSeconds: Invalid value"),
        ("sinceSeconds=0", "sinceSeconds: Invalid value"),
        ("tailLines=soon", "tailLines: invalid value"),
    ],
)
def test_the_stand_in_answers_bad_log_parameters_with_400(
    kube_server: KubeApiServer, kube: KubeApi, query: str, problem: str | None
) -> None:
    import httpx2 as httpx

    url = f"{kube_server.url}/api/v1/namespaces/{s.NS}/pods/{s.CRASHING_POD}/log?{query}"
    response = httpx.get(url, headers={"Authorization": "Bearer static-test-token"})
    if problem is None:
        assert response.status_code == 200  # longer than the log: every line
        assert "HikariPool-1" in response.text
        return
    assert response.status_code == 400
    body = response.json()
    assert (body["kind"], body["reason"]) == ("Status", "BadRequest")
    assert problem in body["message"] and "Traceback" not in response.text


def test_a_huge_server_error_body_is_truncated_in_the_message() -> None:
    from ops.errors import RetryableError
    from ops.kube import raise_for_status

    target = type("T", (), {"source": "kubeconfig x", "namespace": "commsec"})()
    body = "Traceback (most recent call last):\n" + "  File 'x.py', line 1\n" * 5000
    with pytest.raises(RetryableError) as raised:
        raise_for_status(500, body, "reading logs of p", target)  # type: ignore[arg-type]
    assert len(raised.value.render()) < 300
    assert raised.value.message.startswith("reading logs of p: the Kubernetes API answered 500")
