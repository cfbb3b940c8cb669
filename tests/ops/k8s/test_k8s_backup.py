"""``backup k8s`` to S3 (moto) and ``backup k8s-restore`` back into the stand-in."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from ops import k8s_export as x
from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli, run_text
from tests.servers.kube_api import KubeApi
from tests.support.outputs import write_outputs

BUCKET = "commsec-backups-test"
SECRET_PLAIN = "s3cr3t-pa55"
SECRET_B64 = base64.b64encode(SECRET_PLAIN.encode()).decode()
PREFIX = "kubernetes/20261204T061500Z/"  # the export prefix at COMMSEC_NOW below
# What an export of the seeded namespace writes without --include-secrets, in upload order.
FILES = (
    "configmaps.yaml",
    "services.yaml",
    "deployments.yaml",
    "horizontalpodautoscalers.yaml",
    "secrets-index.json",
    "manifest.json",
)


@pytest.fixture
def at_six_fifteen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMSEC_NOW", "2026-12-04T06:15:00+00:00")


@pytest.fixture
def stack(tmp_path: Path, moto_url: str) -> dict[str, Any]:
    key = boto3.client("kms").create_key(Description="backup key")["KeyMetadata"]["Arn"]
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    outputs = write_outputs(tmp_path / "o.json", backupBucketName=BUCKET, backupKmsKeyArn=key)
    return {"outputs": str(outputs), "key": key}


def _export(capsys: pytest.CaptureFixture[str], stack: dict[str, Any], *extra: str) -> dict:
    code, doc, err = run_cli(
        capsys, "backup", "k8s", "--outputs", stack["outputs"], "--yes", *extra
    )
    assert code == 0, err
    return doc["result"]


def _bodies(prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    return {
        o["Key"][len(prefix) :]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in listing
    }


def test_export_is_clean_reapplicable_yaml_under_sse_kms(
    kube: KubeApi,
    stack: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMMSEC_NOW", "2026-12-04T06:15:00+00:00")
    result = _export(capsys, stack)
    assert result["location"] == f"s3://{BUCKET}/kubernetes/20261204T061500Z/"
    prefix = "kubernetes/20261204T061500Z/"
    bodies = _bodies(prefix)
    assert set(bodies) == set(FILES)
    for name, body in bodies.items():
        head = boto3.client("s3").head_object(Bucket=BUCKET, Key=prefix + name)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"].endswith(stack["key"].split("/")[-1])
        assert SECRET_PLAIN.encode() not in body and SECRET_B64.encode() not in body
    deployments = list(yaml.safe_load_all(bodies["deployments.yaml"]))
    assert [d["metadata"]["name"] for d in deployments] == [
        "api-gateway",
        "frontend",
        "trading-service",
    ]
    for doc in deployments:
        assert (doc["apiVersion"], doc["kind"]) == ("apps/v1", "Deployment")
        assert "status" not in doc
        assert set(doc["metadata"]) == {"name", "labels"}
        assert doc["spec"]["template"]["spec"]["containers"][0]["name"] == doc["metadata"]["name"]
    services = list(yaml.safe_load_all(bodies["services.yaml"]))
    assert all("clusterIP" not in svc["spec"] for svc in services)
    assert json.loads(bodies["secrets-index.json"]) == [
        {"name": "trading-db", "type": "Opaque", "keys": ["password", "username"]}
    ]
    manifest = json.loads(bodies["manifest.json"])
    assert manifest["secrets"] == "names-only"
    import hashlib

    for name, entry in manifest["files"].items():
        assert hashlib.sha256(bodies[name]).hexdigest() == entry["sha256"]


def test_include_secrets_seals_values_with_the_kms_key(
    kube: KubeApi, stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = _export(capsys, stack, "--include-secrets")
    prefix = result["location"].split(BUCKET + "/")[1]
    bodies = _bodies(prefix)
    assert SECRET_B64.encode() not in bodies[x.SECRETS_SEALED]
    envelope = json.loads(bodies[x.SECRETS_SEALED])
    assert envelope["algorithm"] == "AES-256-GCM" and envelope["kms_key_id"] == stack["key"]
    plain = x.unseal(boto3.client("kms"), envelope)
    (secret,) = list(yaml.safe_load_all(plain))
    assert secret["data"]["password"] == SECRET_B64


def _namespace_objects(kube: KubeApi, namespace: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for group, plural, kind in x.EXPORTED:
        g, _, v = group.rpartition("/") if group else ("", "", "v1")
        items = [o for o in kube.live(g, v, plural) if o["metadata"].get("namespace") == namespace]
        found[kind] = sorted(
            (x.clean(o, kind, group or "v1") for o in items if x._exportable(o, kind)),
            key=lambda o: o["metadata"]["name"],
        )
    return found


def test_export_then_restore_into_an_empty_namespace_reproduces_the_objects(
    kube: KubeApi, stack: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = _export(capsys, stack, "--include-secrets")
    assert _namespace_objects(kube, "commsec-dr") == {k: [] for _g, _p, k in x.EXPORTED}
    code, doc, err = run_cli(
        capsys,
        "backup",
        "k8s-restore",
        "--from",
        result["location"],
        "--namespace",
        "commsec-dr",
        "--outputs",
        stack["outputs"],
        "--yes",
    )
    assert code == 0, err
    assert "Deployment/trading-service" in doc["result"]["applied"]
    assert _namespace_objects(kube, "commsec-dr") == _namespace_objects(kube, s.NS)
    assert kube.get_object("", "v1", "namespaces", None, "commsec-dr") is not None
    audit = (tmp_path / "state" / "commsec" / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["target"] == "namespace/commsec-dr"


def test_restore_without_sealed_secrets_warns_about_them(
    kube: KubeApi, stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = _export(capsys, stack)
    code, doc, _ = run_cli(
        capsys,
        "backup",
        "k8s-restore",
        "--from",
        result["location"].split(BUCKET + "/")[1],
        "-n",
        "commsec-dr",
        "--outputs",
        stack["outputs"],
        "--dry-run",
    )
    assert code == 0
    assert doc["result"]["dry_run"] is True
    assert (
        "Secret trading-db (keys password, username) was exported without its values"
        in (doc["warnings"][0])
    )
    assert kube.get_object("apps", "v1", "deployments", "commsec-dr", "frontend") is None


def _restore_into_dr(
    capsys: pytest.CaptureFixture[str], stack: dict[str, Any], location: str
) -> tuple[int, str, str]:
    return run_text(
        capsys,
        "backup",
        "k8s-restore",
        "--from",
        location,
        "-n",
        "commsec-dr",
        "--outputs",
        stack["outputs"],
        "--yes",
    )


def test_a_tampered_export_is_refused_and_nothing_is_applied(
    kube: KubeApi, stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = _export(capsys, stack)
    prefix = result["location"].split(BUCKET + "/")[1]
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=BUCKET, Key=prefix + "deployments.yaml")["Body"].read()
    s3.put_object(
        Bucket=BUCKET, Key=prefix + "deployments.yaml", Body=body.replace(b"1.4.2", b"6.6.6")
    )
    code, _, err = _restore_into_dr(capsys, stack, result["location"])
    assert code == 1
    assert "does not match its manifest: deployments.yaml changed" in err
    assert "nothing was applied" in err
    assert kube.get_object("", "v1", "namespaces", None, "commsec-dr") is None
    assert kube.get_object("", "v1", "configmaps", "commsec-dr", "trading-config") is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "s3://someone-elses-bucket/kubernetes/20261204T061500Z/",
            "is not this stack's backup bucket",
        ),
        ("kubernetes/a/b", "is not an export prefix"),
    ],
)
def test_bad_restore_prefix_is_an_input_error(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    code, _, err = run_text(
        capsys, "backup", "k8s-restore", "--from", source, "--outputs", stack["outputs"], "--yes"
    )
    assert code == 2
    assert message in err


def test_a_missing_export_is_an_input_error(
    kube: KubeApi, stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_text(
        capsys,
        "backup",
        "k8s-restore",
        "--from",
        "20200101T000000Z",
        "--outputs",
        stack["outputs"],
        "--yes",
    )
    assert code == 2
    assert "manifest.json failed: not found" in err


def _bucket_keys() -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET)
    return [o["Key"] for o in listing.get("Contents", [])]


@pytest.mark.usefixtures("kube", "at_six_fifteen")
def test_dry_run_lists_the_keys_it_would_write_and_writes_nothing(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    audit_log = tmp_path / "audit.jsonl"
    result = _export(capsys, stack, "--dry-run", "--audit-log", str(audit_log))
    assert result["dry_run"] is True
    assert result["location"] == f"s3://{BUCKET}/{PREFIX}"
    assert result["keys"] == [PREFIX + name for name in FILES]
    assert _bucket_keys() == []
    assert not audit_log.exists()


@pytest.mark.usefixtures("kube", "at_six_fifteen")
def test_dry_run_names_the_keys_the_real_export_writes(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    planned = _export(capsys, stack, "--include-secrets", "--dry-run")["keys"]
    assert _bucket_keys() == []
    written = _export(capsys, stack, "--include-secrets")["keys"]
    assert planned == written
    assert sorted(_bucket_keys()) == sorted(written)
    assert PREFIX + "secrets.sealed.json" in written


@pytest.mark.usefixtures("kube")
def test_without_yes_a_non_interactive_export_is_refused(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_text(capsys, "backup", "k8s", "--outputs", stack["outputs"])
    assert code == 2
    assert out == ""
    assert err.startswith("Error: refusing to export namespace commsec")
    assert "without confirmation in a non-interactive shell" in err
    assert _bucket_keys() == []


@pytest.mark.usefixtures("kube", "at_six_fifteen")
def test_an_export_writes_one_audit_record_with_its_prefix_and_object_count(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    audit_log = tmp_path / "audit.jsonl"
    result = _export(capsys, stack, "--audit-log", str(audit_log))
    records = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["command"] == "backup k8s"
    assert record["result"] == "exported"
    assert record["target"] == f"s3://{BUCKET}/{PREFIX}"
    assert record["after"]["prefix"] == PREFIX
    assert record["after"]["objects"] == len(result["keys"]) == len(FILES)


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (b"{not json", "manifest.json is not JSON"),
        (b'{"files":"x"}', "manifest.json has no 'files' object"),
        (
            b'{"files": {"deployments.yaml": "x"}}',
            "manifest.json entry 'deployments.yaml' is malformed",
        ),
    ],
)
def test_a_corrupt_manifest_is_a_failed_check_and_nothing_is_applied(
    kube: KubeApi,
    stack: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    manifest: bytes,
    why: str,
) -> None:
    result = _export(capsys, stack)
    prefix = result["location"].split(BUCKET + "/")[1]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=prefix + "manifest.json", Body=manifest)
    code, out, err = _restore_into_dr(capsys, stack, result["location"])
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: the export {result['location']} is corrupt: {why}")
    assert "nothing was applied" in err and "restore from another export" in err
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert kube.get_object("", "v1", "namespaces", None, "commsec-dr") is None


@pytest.mark.usefixtures("kube")
def test_exporting_a_namespace_that_does_not_exist_writes_nothing(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_text(
        capsys, "backup", "k8s", "--outputs", stack["outputs"], "--yes", "-n", "commsec-typo"
    )
    assert (code, out) == (2, "")
    assert err.startswith("Error: --namespace commsec-typo: no such namespace")
    assert _bucket_keys() == []
