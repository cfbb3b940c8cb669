"""``commsec health`` against the seeded stand-in, and the rules it judges pods by."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops import k8s_health as h
from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli, run_text
from tests.servers.kube_api import KubeApi, KubeApiServer
from tests.servers.local_http import free_port


def test_crash_looping_pod_is_unhealthy_and_completed_job_is_not(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = run_cli(capsys, "health")
    assert code == 1
    result = doc["result"]
    assert [p["name"] for p in result["unhealthy_pods"]] == [s.CRASHING_POD]
    assert result["unhealthy_pods"][0]["problem"] == "CrashLoopBackOff (trading-service)"
    assert result["unhealthy_pods"][0]["zone"] == "us-east-1c"
    assert result["endpoints_without_ready"] == [
        {"service": "trading-service-canary", "not_ready": 0}
    ]
    assert [e["reason"] for e in result["warning_events"]] == ["BackOff"]


def test_pods_per_zone_come_from_the_node_zone_label(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    node = kube.get_object("", "v1", "nodes", None, "ip-10-0-6-15.ec2.internal")
    node["metadata"]["labels"]["topology.kubernetes.io/zone"] = "us-east-1a"
    kube.put(node)
    _, doc, _ = run_cli(capsys, "health")
    # trading-service-...-zk2lq and api-gateway-...-c ran in 1c on that node; 1c keeps frontend-c
    assert doc["result"]["pods_per_zone"] == {"us-east-1a": 5, "us-east-1b": 3, "us-east-1c": 1}


def test_node_usage_is_against_allocatable(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc, _ = run_cli(capsys, "health")
    first = doc["result"]["nodes"][0]
    assert first["zone"] == "us-east-1a"
    assert first["cpu_percent"] == pytest.approx(100 * 0.612 / 1.93, abs=0.1)
    assert first["memory_percent"] == pytest.approx(100 * 2811200 / 7458812, abs=0.1)


def test_a_healthy_namespace_exits_zero(kube: KubeApi, capsys: pytest.CaptureFixture[str]) -> None:
    import kmock

    del kube.objects[kmock.resource("", "v1", "pods"), s.NS, s.CRASHING_POD]
    del kube.objects[kmock.resource("", "v1", "endpoints"), s.NS, "trading-service-canary"]
    code, out, _ = run_text(capsys, "health")
    assert code == 0
    assert "HEALTHY" in out.splitlines()[0] and "UNHEALTHY" not in out
    assert "All 9 pods are healthy" in out


def test_node_pressure_is_a_problem(kube: KubeApi, capsys: pytest.CaptureFixture[str]) -> None:
    node = kube.get_object("", "v1", "nodes", None, "ip-10-0-2-11.ec2.internal")
    node["status"]["conditions"][0]["status"] = "True"
    kube.put(node)
    _, doc, _ = run_cli(capsys, "health")
    assert "node ip-10-0-2-11.ec2.internal reports MemoryPressure" in doc["result"]["problems"]


def test_missing_metrics_api_degrades_to_a_warning(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [k for k in kube.objects if k[0].group == "metrics.k8s.io"]:
        del kube.objects[key]
    code, doc, _ = run_cli(capsys, "health")
    assert code == 1  # still the crash-looping pod
    assert doc["result"]["nodes"][0]["cpu_percent"] is None
    assert doc["result"]["pod_usage"] == []


def test_api_server_down_is_one_retryable_error(
    kube_server: KubeApiServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kube: KubeApi,
) -> None:
    dead = KubeApiServer(KubeApi(), url=f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("KUBECONFIG", str(dead.kubeconfig(tmp_path / "dead")))
    code, out, err = run_text(capsys, "health")
    assert code == 1
    assert out == ""
    assert err.startswith(
        "Error: listing nodes: cannot reach the Kubernetes API at http://127.0.0.1:"
    )
    assert len(err.strip().splitlines()) == 1


def test_slow_api_server_times_out(
    kube: KubeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kube.delay_s = 1.5
    monkeypatch.setenv("COMMSEC_KUBE_TIMEOUT", "0.3")
    code, _, err = run_text(capsys, "health")
    assert code == 1
    assert "did not answer within 0.3 s" in err


def test_forbidden_namespace_names_the_fix(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    kube.forbidden_namespaces.add("commsec")
    code, _, err = run_text(capsys, "health")
    assert code == 1
    assert "forbidden by RBAC" in err
    assert "ask for read access to namespace 'commsec'" in err


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "c",
                        "ready": False,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    }
                ],
            },
            "CrashLoopBackOff (c)",
        ),
        (
            {
                "phase": "Succeeded",
                "containerStatuses": [
                    {"name": "c", "ready": False, "state": {"terminated": {"reason": "Completed"}}}
                ],
            },
            None,
        ),
        (
            {
                "phase": "Running",
                "containerStatuses": [{"name": "c", "ready": True, "state": {"running": {}}}],
            },
            None,
        ),
        (
            {
                "phase": "Running",
                "containerStatuses": [{"name": "c", "ready": False, "state": {"running": {}}}],
            },
            "not ready (c)",
        ),
        (
            {
                "phase": "Pending",
                "conditions": [
                    {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
                ],
            },
            "Pending: Unschedulable",
        ),
        (
            {
                "phase": "Pending",
                "containerStatuses": [
                    {"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
                ],
            },
            "ImagePullBackOff (c)",
        ),
        ({"phase": "Failed", "reason": "Evicted"}, "Failed (Evicted)"),
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "c", "ready": False, "state": {"terminated": {"reason": "OOMKilled"}}}
                ],
            },
            "OOMKilled (c)",
        ),
    ],
)
def test_pod_problem(status: dict, expected: str | None) -> None:
    assert h.pod_problem({"status": status}) == expected


@pytest.mark.parametrize(
    ("text", "cores"), [("1930m", 1.93), ("2", 2.0), ("1500000n", 0.0015), ("250u", 0.00025)]
)
def test_cpu_quantities(text: str, cores: float) -> None:
    assert h.cpu_cores(text) == pytest.approx(cores)


@pytest.mark.parametrize(
    ("text", "size"), [("8Gi", 8 * 2**30), ("7458812Ki", 7458812 * 1024), ("1G", 1e9), ("x", None)]
)
def test_memory_quantities(text: str, size: float | None) -> None:
    assert h.memory_bytes(text) == size


@pytest.mark.parametrize("command", [["health"], ["hpa"], ["logs", "frontend"]])
def test_a_namespace_that_does_not_exist_is_an_input_error(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run_text(capsys, *command, "-n", "commsec-typo")
    assert (code, out) == (2, "")
    assert err.startswith("Error: --namespace commsec-typo: no such namespace in kubeconfig")
    assert "kubectl get namespaces" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["Bad_NS!", "-commsec", "a" * 64])
def test_an_invalid_namespace_name_is_refused_before_any_call(
    kube: KubeApi, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    served = len(kube._requests)
    code, out, err = run_text(capsys, "health", f"--namespace={name}")
    assert (code, out) == (2, "")
    assert f"argument --namespace/-n: {name!r} is not a namespace name" in err
    assert "lowercase letters, digits and '-'" in err
    assert len(kube._requests) == served


def test_a_namespace_without_the_platform_is_unhealthy(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    kube.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}})
    code, out, _ = run_text(capsys, "health", "-n", "kube-system")
    assert code == 1
    assert "UNHEALTHY (4 problem(s))" in out.splitlines()[0]
    assert "Deployment frontend is missing from namespace kube-system" in out
    assert "namespace kube-system has no pods" in out
    assert "All 0 pods are healthy" not in out
    _, doc, _ = run_cli(capsys, "health", "-n", "kube-system")
    assert doc["result"]["workload_problems"] == [
        "Deployment frontend is missing from namespace kube-system",
        "Deployment api-gateway is missing from namespace kube-system",
        "Deployment trading-service is missing from namespace kube-system",
        "namespace kube-system has no pods",
    ]


def test_a_missing_platform_deployment_is_a_problem(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    import kmock

    del kube.objects[kmock.resource("", "v1", "pods"), s.NS, s.CRASHING_POD]
    del kube.objects[kmock.resource("", "v1", "endpoints"), s.NS, "trading-service-canary"]
    del kube.objects[kmock.resource("apps", "v1", "deployments"), s.NS, "api-gateway"]
    code, doc, _ = run_cli(capsys, "health")
    assert code == 1
    assert doc["result"]["problems"] == ["Deployment api-gateway is missing from namespace commsec"]
