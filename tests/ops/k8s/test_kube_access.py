"""How the commands reach a cluster: kubeconfig, exec plugins, and in-process EKS tokens."""

from __future__ import annotations

import base64
import json
import stat
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ops.kube import EKS_TOKEN_PREFIX, eks_token
from tests.ops.k8s.conftest import run_cli, run_text
from tests.servers.kube_api import KubeApi, KubeApiServer
from tests.support.outputs import write_outputs


def _decode(token: str) -> tuple[str, dict[str, list[str]]]:
    assert token.startswith(EKS_TOKEN_PREFIX)
    body = token[len(EKS_TOKEN_PREFIX) :]
    assert "=" not in body  # base64url without padding
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    return url, parse_qs(urlsplit(url).query)


def test_eks_token_is_a_presigned_get_caller_identity_bound_to_the_cluster(moto_url: str) -> None:
    import boto3

    sts = boto3.client("sts", region_name="us-east-1")
    url, query = _decode(eks_token(sts, "commsec-cluster"))
    assert url.startswith(moto_url)
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    # the header hook is removed again: a plain presign carries no cluster binding
    plain = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60)
    assert "x-k8s-aws-id" not in plain


def test_aws_get_token_plugin_is_minted_in_process(
    kube: KubeApi,
    kube_server: KubeApiServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "aws" here is a script that records being run: the token must not come from it
    ran = tmp_path / "ran"
    fake_aws = tmp_path / "bin" / "aws"
    fake_aws.parent.mkdir()
    fake_aws.write_text(f"#!/bin/sh\necho run >> {ran}\nexit 3\n")
    fake_aws.chmod(fake_aws.stat().st_mode | stat.S_IEXEC)
    kube.token_prefix = EKS_TOKEN_PREFIX
    config = kube_server.kubeconfig(
        tmp_path / "exec-kubeconfig",
        exec_command=[
            str(fake_aws),
            "--region",
            "us-east-1",
            "eks",
            "get-token",
            "--cluster-name",
            "commsec-cluster",
        ],
    )
    monkeypatch.setenv("KUBECONFIG", str(config))
    code, doc, err = run_cli(capsys, "hpa")
    assert code == 0, err
    assert len(doc["result"]["autoscalers"]) == 2
    assert not ran.exists()
    token = (kube.last_authorization or "").removeprefix("Bearer ")
    assert _decode(token)[1]["X-Amz-Expires"] == ["60"]


def test_other_exec_plugins_run_once_per_command(
    kube: KubeApi,
    kube_server: KubeApiServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ran = tmp_path / "ran"
    plugin = tmp_path / "plugin.py"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": "from-the-plugin"},
    }
    plugin.write_text(
        f"import json\nopen({str(ran)!r}, 'a').write('x')\nprint(json.dumps({credential!r}))\n"
    )
    kube.required_token = "from-the-plugin"
    config = kube_server.kubeconfig(tmp_path / "kc", exec_command=[sys.executable, str(plugin)])
    monkeypatch.setenv("KUBECONFIG", str(config))
    code, _, err = run_cli(capsys, "health")
    assert code == 1, err  # the seeded crash-looping pod; what matters is that it got through
    assert ran.read_text() == "x"  # six parallel reads, one plugin run


def test_a_wrong_token_is_a_credentials_error(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    kube.required_token = "something-else"
    code, _, err = run_text(capsys, "hpa")
    assert code == 1
    assert "rejected the credentials" in err and "(401)" in err


def test_without_kubeconfig_the_stack_cluster_is_used_with_an_eks_token(
    kube: KubeApi,
    kube_server: KubeApiServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack_kubeconfig = json.dumps(
        {
            "apiVersion": "v1",
            "clusters": [{"name": "commsec-cluster", "cluster": {"server": kube_server.url}}],
        }
    )
    outputs = write_outputs(tmp_path / "o.json", kubeconfig=stack_kubeconfig)
    monkeypatch.setenv("KUBECONFIG", "/dev/null")
    kube.token_prefix = EKS_TOKEN_PREFIX
    code, doc, err = run_cli(capsys, "hpa", "--outputs", str(outputs))
    assert code == 0, err
    assert doc["result"]["namespace"] == "commsec"


def test_context_without_kubeconfig_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", "/dev/null")
    code, _, err = run_text(capsys, "hpa", "--context", "prod")
    assert code == 2
    assert "--context prod needs a kubeconfig" in err


def test_unknown_context_is_an_input_error(
    kube: KubeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_text(capsys, "health", "--context", "nope")
    assert code == 2
    assert "Context 'nope' not found" in err


def test_tls_api_server_is_verified_with_the_kubeconfig_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.ops.k8s.seed import seed

    server = KubeApiServer(KubeApi(), tls=True).start()
    try:
        seed(server.api)
        config = server.kubeconfig(tmp_path / "tls")
        monkeypatch.setenv("KUBECONFIG", str(config))
        code, doc, err = run_cli(capsys, "hpa")
        assert code == 0, err
        assert len(doc["result"]["autoscalers"]) == 2
        assert server.url.startswith("https://127.0.0.1:")
        # a kubeconfig without the CA must fail verification, as one line
        text = config.read_text().replace("certificate-authority-data", "unused-ca-data")
        config.write_text(text)
        code, _, err = run_text(capsys, "hpa")
        assert code == 1
        assert "cannot reach the Kubernetes API" in err and "CERTIFICATE_VERIFY_FAILED" in err
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("clusters: [\n  - {name: x\n", "is not valid YAML at line"),
        ("", "is empty"),
        ("just a string\n", "is not a kubeconfig (no 'clusters' list)"),
        ("clusters: []\ncontexts: [{name: c}]\n", "is not a valid kubeconfig"),
    ],
)
def test_a_broken_kubeconfig_file_is_an_input_error_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str,
    problem: str,
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(content)
    monkeypatch.setenv("KUBECONFIG", str(path))
    code, out, err = run_text(capsys, "health")
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: KUBECONFIG {path} {problem}")
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert "point KUBECONFIG at a kubeconfig" in err
