"""Export of a namespace's resources to S3, and applying such an export back.

An export is a folder ``kubernetes/<UTC timestamp>/`` in the backup bucket: one YAML file per
resource type (the API's own field names, ``kind``/``apiVersion`` on every object, nothing the
server owns: no status, uid, resourceVersion, managedFields), and ``manifest.json`` with the
SHA-256 of every file, written last so a half-finished export has no manifest. Every object
is stored with SSE-KMS under the stack's backup key.

Secrets never leave in plain text. By default only their names, types and keys are recorded;
with ``include_secrets`` their values are envelope-encrypted: KMS ``GenerateDataKey`` makes a
one-off AES-256 key, AES-GCM seals the Secrets' YAML with it, and only the KMS-encrypted copy
of the key is stored next to the ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.errors import CheckFailed, InputError, aws_errors, truncate
from ops.kube import APPLY_PATCH, Kube, ns_path

# (group/version or "" for core, plural, kind), in the order a restore applies them: what
# others refer to (accounts, configuration) before what refers to it (workloads, autoscalers).
EXPORTED: tuple[tuple[str, str, str], ...] = (
    ("", "serviceaccounts", "ServiceAccount"),
    ("", "configmaps", "ConfigMap"),
    ("", "secrets", "Secret"),
    ("", "services", "Service"),
    ("apps/v1", "deployments", "Deployment"),
    ("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "ingresses", "Ingress"),
)
SECRETS_INDEX = "secrets-index.json"
SECRETS_SEALED = "secrets.sealed.json"
MANIFEST = "manifest.json"

_SERVER_METADATA = (
    "uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds", "namespace",
)  # fmt: skip
_SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
# Created by the cluster itself in every namespace; restoring them would fight the controllers.
_CLUSTER_OWNED = {
    ("ConfigMap", "kube-root-ca.crt"),
    ("ServiceAccount", "default"),
}


def clean(obj: dict[str, Any], kind: str, api_version: str) -> dict[str, Any]:
    """An object as it would be written by hand: no server-owned fields, kind on it."""
    result = {k: v for k, v in obj.items() if k not in ("status", "kind", "apiVersion")}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_METADATA}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    result["metadata"] = meta
    if kind == "Service":
        # Cluster IPs are allocated per cluster; a restore elsewhere must get new ones.
        spec = {
            k: v for k, v in (obj.get("spec") or {}).items() if k not in ("clusterIP", "clusterIPs")
        }
        result["spec"] = spec
    return {"apiVersion": api_version, "kind": kind, **result}


def _exportable(obj: dict[str, Any], kind: str) -> bool:
    meta = obj.get("metadata") or {}
    if (kind, meta.get("name")) in _CLUSTER_OWNED:
        return False
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return False
    # Objects another object owns (a Job's pods, a CronJob's Jobs) are re-created by it.
    return not meta.get("ownerReferences")


def _path(group: str, namespace: str, plural: str, name: str | None = None) -> str:
    return ns_path(namespace, plural, name, group=group)


async def read_namespace(kube: Kube, namespace: str) -> dict[str, list[dict[str, Any]]]:
    """The exportable objects of ``namespace`` by kind, cleaned, sorted by name."""
    import asyncio

    async def one(group: str, plural: str) -> Any:
        return await kube.get(_path(group, namespace, plural), what=f"listing {plural}")

    lists = await asyncio.gather(*(one(group, plural) for group, plural, _ in EXPORTED))
    result: dict[str, list[dict[str, Any]]] = {}
    for (group, _plural, kind), listing in zip(EXPORTED, lists, strict=True):
        api_version = group or "v1"
        objects = [clean(o, kind, api_version) for o in listing["items"] if _exportable(o, kind)]
        result[kind] = sorted(objects, key=lambda o: o["metadata"]["name"])
    return result


def _yaml(objects: Iterable[dict[str, Any]]) -> bytes:
    import yaml

    return yaml.safe_dump_all(list(objects), sort_keys=False).encode()


def secrets_index(secrets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": s["metadata"]["name"],
            "type": s.get("type", "Opaque"),
            "keys": sorted({*(s.get("data") or {}), *(s.get("stringData") or {})}),
        }
        for s in secrets
    ]


def seal(kms: Any, key_arn: str, plaintext: bytes, context: str) -> dict[str, str]:
    """Envelope-encrypt ``plaintext``: a KMS data key, AES-256-GCM, ``context`` as AAD."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with aws_errors(f"generating a data key with {key_arn}"):
        data_key = kms.generate_data_key(
            KeyId=key_arn, KeySpec="AES_256", EncryptionContext={"commsec-export": context}
        )
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, context.encode())
    return {
        "algorithm": "AES-256-GCM",
        "kms_key_id": key_arn,
        "encryption_context": context,
        "encrypted_data_key": base64.b64encode(data_key["CiphertextBlob"]).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }


def unseal(kms: Any, envelope: dict[str, str]) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    context = envelope["encryption_context"]
    with aws_errors("decrypting the export's data key"):
        data_key = kms.decrypt(
            CiphertextBlob=base64.b64decode(envelope["encrypted_data_key"]),
            EncryptionContext={"commsec-export": context},
        )["Plaintext"]
    try:
        return AESGCM(data_key).decrypt(
            base64.b64decode(envelope["nonce"]),
            base64.b64decode(envelope["ciphertext"]),
            context.encode(),
        )
    except InvalidTag:
        raise CheckFailed(
            "the sealed Secrets do not decrypt (authentication tag mismatch)",
            hint="the export was altered or belongs to another prefix; restore another export",
        ) from None


@dataclass(frozen=True)
class ExportPlan:
    bucket: str
    prefix: str
    files: dict[str, bytes]
    manifest: dict[str, Any]


def build_export(
    objects: dict[str, list[dict[str, Any]]],
    *,
    namespace: str,
    bucket: str,
    now: datetime,
    kms: Any,
    key_arn: str,
    include_secrets: bool,
) -> ExportPlan:
    """The files of one export and its manifest (nothing is uploaded here)."""
    prefix = f"kubernetes/{now:%Y%m%dT%H%M%SZ}/"
    files: dict[str, bytes] = {}
    for _group, plural, kind in EXPORTED:
        if kind != "Secret" and objects.get(kind):
            files[f"{plural}.yaml"] = _yaml(objects[kind])
    secrets = objects.get("Secret", [])
    files[SECRETS_INDEX] = json.dumps(secrets_index(secrets), indent=2).encode()
    if include_secrets and secrets:
        envelope = seal(kms, key_arn, _yaml(secrets), prefix)
        files[SECRETS_SEALED] = json.dumps(envelope, indent=2).encode()
    manifest = {
        "format": "commsec-kubernetes-export/1",
        "namespace": namespace,
        "created": now.isoformat(),
        "secrets": "sealed" if include_secrets and secrets else "names-only",
        "files": {
            name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
            for name, body in files.items()
        },
        "counts": {kind: len(items) for kind, items in objects.items()},
    }
    return ExportPlan(bucket=bucket, prefix=prefix, files=files, manifest=manifest)


def _documents(plan: ExportPlan) -> list[tuple[str, bytes]]:
    # The manifest goes last: an export without one is visibly incomplete.
    return [*plan.files.items(), (MANIFEST, json.dumps(plan.manifest, indent=2).encode())]


def export_keys(plan: ExportPlan) -> list[str]:
    """The object keys :func:`upload` writes, in the order it writes them."""
    return [plan.prefix + name for name, _ in _documents(plan)]


def upload(s3: Any, plan: ExportPlan, key_arn: str) -> list[str]:
    """Put every file with SSE-KMS, then the manifest last; return the keys written."""
    written = []
    for name, body in _documents(plan):
        key = plan.prefix + name
        with aws_errors(f"uploading s3://{plan.bucket}/{key}"):
            s3.put_object(
                Bucket=plan.bucket,
                Key=key,
                Body=body,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=key_arn,
                ContentType="application/json" if name.endswith(".json") else "application/yaml",
            )
        written.append(key)
    return written


# --- restore -------------------------------------------------------------------------------


def parse_prefix(text: str, bucket: str) -> str:
    """``s3://BUCKET/kubernetes/TS/``, ``kubernetes/TS`` or ``TS`` as a key prefix."""
    value = text.strip()
    if value.startswith("s3://"):
        named_bucket, _, value = value[len("s3://") :].partition("/")
        if named_bucket != bucket:
            raise InputError(
                f"--from {text}: bucket {named_bucket} is not this stack's backup bucket {bucket}",
                hint="pass a prefix in the stack's backup bucket",
            )
    value = value.strip("/")
    if not value.startswith("kubernetes/"):
        value = f"kubernetes/{value}"
    if value.count("/") != 1 or not value.split("/")[1]:
        raise InputError(
            f"--from {text} is not an export prefix",
            hint="pass kubernetes/<timestamp>/ as printed by 'commsec backup k8s'",
        )
    return value + "/"


def fetch_verified(s3: Any, bucket: str, prefix: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every file it lists, after checking each file's SHA-256."""
    with aws_errors(f"reading s3://{bucket}/{prefix}{MANIFEST}"):
        raw = s3.get_object(Bucket=bucket, Key=prefix + MANIFEST)["Body"].read()
    manifest = _parse_manifest(raw, f"s3://{bucket}/{prefix}")
    files: dict[str, bytes] = {}
    mismatched = []
    for name, expected in manifest["files"].items():
        with aws_errors(f"reading s3://{bucket}/{prefix}{name}"):
            body = s3.get_object(Bucket=bucket, Key=prefix + name)["Body"].read()
        if hashlib.sha256(body).hexdigest() != expected["sha256"]:
            mismatched.append(name)
        files[name] = body
    if mismatched:
        raise CheckFailed(
            f"the export s3://{bucket}/{prefix} does not match its manifest: "
            f"{', '.join(sorted(mismatched))} changed since it was written; nothing was applied",
            hint="restore from another export ('aws s3 ls' the kubernetes/ prefix)",
        )
    return manifest, files


def _parse_manifest(raw: bytes, location: str) -> dict[str, Any]:
    """The manifest, checked to have the shape :func:`build_export` writes.

    Anything else (truncated, edited, another tool's file) means the export cannot be
    verified, so it is a failed check rather than bad input: the operator's --from was
    right, the backup is not.
    """
    try:
        manifest = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(location, f"{MANIFEST} is not JSON ({truncate(exc, 80)})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files:
        raise _corrupt(location, f"{MANIFEST} has no 'files' object")
    for name, entry in files.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or "/" in name or name == MANIFEST:
            raise _corrupt(location, f"{MANIFEST} entry {truncate(name, 60)!r} is malformed")
    if SECRETS_INDEX not in files:
        raise _corrupt(location, f"{MANIFEST} does not list {SECRETS_INDEX}")
    return dict(manifest)


def _corrupt(location: str, why: str) -> CheckFailed:
    return CheckFailed(
        f"the export {location} is corrupt: {why}; nothing was applied",
        hint="restore from another export ('aws s3 ls' the kubernetes/ prefix)",
    )


def objects_to_apply(
    manifest: dict[str, Any], files: dict[str, bytes], kms: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The objects in apply order, and the Secrets that only have their names recorded."""
    import yaml

    ordered: list[dict[str, Any]] = []
    name = ""
    try:
        for _group, plural, kind in EXPORTED:
            if kind == "Secret":
                if SECRETS_SEALED in files:
                    name = SECRETS_SEALED
                    envelope = json.loads(files[SECRETS_SEALED])
                    ordered += [d for d in yaml.safe_load_all(unseal(kms, envelope)) if d]
                continue
            name = f"{plural}.yaml"
            body = files.get(name)
            if body:
                ordered += [d for d in yaml.safe_load_all(body) if d]
        name = SECRETS_INDEX
        missing_secrets = [] if SECRETS_SEALED in files else json.loads(files[SECRETS_INDEX])
    except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        # The checksums matched, so the file is as written: written wrong, not damaged since.
        raise CheckFailed(
            f"the export is corrupt: {name} cannot be parsed ({truncate(exc, 80)}); "
            "nothing was applied",
            hint="restore from another export ('aws s3 ls' the kubernetes/ prefix)",
        ) from None
    return ordered, missing_secrets


def _rest_path(obj: dict[str, Any], namespace: str) -> str:
    api_version = obj["apiVersion"]
    group = "" if api_version == "v1" else api_version
    for exported_group, plural, kind in EXPORTED:
        if kind == obj["kind"] and exported_group == group:
            return _path(group, namespace, plural, obj["metadata"]["name"])
    raise InputError(f"the export holds an unsupported kind {api_version}/{obj['kind']}")


async def apply_objects(kube: Kube, objects: list[dict[str, Any]], namespace: str) -> list[str]:
    """Server-side apply ``objects`` into ``namespace`` (created if missing), in order."""
    await kube.patch(
        f"/api/v1/namespaces/{namespace}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        what=f"applying namespace {namespace}",
        content_type=APPLY_PATCH,
    )
    applied = []
    for obj in objects:
        body = dict(obj, metadata=dict(obj["metadata"], namespace=namespace))
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        await kube.patch(
            _rest_path(obj, namespace), body, what=f"applying {name}", content_type=APPLY_PATCH
        )
        applied.append(name)
    return applied
