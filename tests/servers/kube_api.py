"""A Kubernetes API stand-in on 127.0.0.1: kmock's stateful emulator, extended.

kmock keeps objects in memory and serves fetch, create and delete over real HTTP. What a
client and kubectl also need, and kmock lacks, is added here by subclassing (never by
patching the installed package):

- lists carry ``kind``/``apiVersion`` (``PodList``) and every item its own ``kind``;
- label and field selectors (``=``, ``==``, ``!=``, ``in``, ``notin``, existence);
- an empty list for a known type with no objects (kmock answers 404);
- pod logs as ``text/plain`` with ``tailLines`` and ``sinceSeconds``;
- the ``scale`` subresource of Deployments (GET and PATCH);
- server-side apply (``application/apply-patch+yaml``) as create-or-merge, and merge and
  strategic-merge patches with JSON-merge-patch semantics (``null`` deletes a key);
- discovery documents for kubectl with a core groupVersion of ``v1`` (kmock says ``/v1``);
- faults on demand: a delay on every request, namespaces that answer 403, a required token.

:class:`KubeApiServer` runs the emulator on its own event loop in a thread, so synchronous
tests and subprocesses (``commsec``, kubectl) reach it through a kubeconfig.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import attrs
import kmock
import yaml

# (group, version, plural) -> (kind, namespaced, verbs, subresources)
_LIST_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
RESOURCES: dict[tuple[str, str, str], tuple[str, bool, list[str], list[str]]] = {
    ("", "v1", "namespaces"): ("Namespace", False, _LIST_VERBS, []),
    ("", "v1", "nodes"): ("Node", False, _LIST_VERBS, ["status"]),
    ("", "v1", "pods"): ("Pod", True, _LIST_VERBS, ["log", "status"]),
    ("", "v1", "services"): ("Service", True, _LIST_VERBS, []),
    ("", "v1", "endpoints"): ("Endpoints", True, _LIST_VERBS, []),
    ("", "v1", "events"): ("Event", True, _LIST_VERBS, []),
    ("", "v1", "configmaps"): ("ConfigMap", True, _LIST_VERBS, []),
    ("", "v1", "secrets"): ("Secret", True, _LIST_VERBS, []),
    ("", "v1", "serviceaccounts"): ("ServiceAccount", True, _LIST_VERBS, []),
    ("apps", "v1", "deployments"): ("Deployment", True, _LIST_VERBS, ["scale", "status"]),
    ("apps", "v1", "replicasets"): ("ReplicaSet", True, _LIST_VERBS, []),
    ("batch", "v1", "jobs"): ("Job", True, _LIST_VERBS, []),
    ("autoscaling", "v2", "horizontalpodautoscalers"): (
        "HorizontalPodAutoscaler",
        True,
        _LIST_VERBS,
        ["status"],
    ),
    ("networking.k8s.io", "v1", "ingresses"): ("Ingress", True, _LIST_VERBS, []),
    ("policy", "v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True, _LIST_VERBS, []),
    ("metrics.k8s.io", "v1beta1", "nodes"): ("NodeMetrics", False, ["get", "list"], []),
    ("metrics.k8s.io", "v1beta1", "pods"): ("PodMetrics", True, ["get", "list"], []),
}


SHORT_NAMES = {
    "namespaces": ["ns"],
    "nodes": ["no"],
    "pods": ["po"],
    "services": ["svc"],
    "endpoints": ["ep"],
    "events": ["ev"],
    "configmaps": ["cm"],
    "deployments": ["deploy"],
    "horizontalpodautoscalers": ["hpa"],
}


def api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _status(code: int, reason: str, message: str) -> aiohttp.web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return aiohttp.web.json_response(body, status=code)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: dicts merge, ``None`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- selectors -------------------------------------------------------------------------

_SET_RE = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(text: str) -> list[str]:
    """Split on commas that are not inside ``(...)`` value sets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def label_matches(labels: dict[str, str], selector: str) -> bool:
    for term in _split_selector(selector):
        match = _SET_RE.match(term)
        if match:
            key, op, values = match.groups()
            allowed = {v.strip() for v in values.split(",")}
            if (labels.get(key) in allowed) != (op == "in"):
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def field_matches(obj: dict[str, Any], selector: str) -> bool:
    for term in _split_selector(selector):
        if "!=" in term:
            path, value = term.split("!=", 1)
            if _field(obj, path.strip()) == value.strip():
                return False
        else:
            path, value = term.replace("==", "=").split("=", 1)
            if _field(obj, path.strip()) != value.strip():
                return False
    return True


# --- the emulator ----------------------------------------------------------------------


@attrs.define(kw_only=True)
class KubeApi(kmock.KubernetesEmulator):
    """kmock's emulator with the behaviour a Kubernetes client and kubectl rely on."""

    delay_s: float = 0.0
    forbidden_namespaces: set[str] = attrs.field(factory=set)
    required_token: str | None = None
    token_prefix: str | None = None
    # (namespace, pod) -> lines of "RFC3339 timestamp<space>message"
    pod_logs: dict[tuple[str, str], list[str]] = attrs.field(factory=dict)
    revision: int = 1000
    # (namespace, "service:port", path after /proxy/) -> JSON answered by the "pod"
    service_proxy: dict[tuple[str, str, str], Any] = attrs.field(factory=dict)
    last_authorization: str | None = None

    # -- seeding and inspecting state, for tests --

    def put(self, obj: dict[str, Any]) -> None:
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = plural_of(obj["kind"], group)
        namespace = obj["metadata"].get("namespace")
        self.objects[kmock.resource(group, version, plural), namespace, obj["metadata"]["name"]] = (
            copy.deepcopy(obj)
        )

    def get_object(self, group: str, version: str, plural: str, namespace: str | None, name: str):
        key = (kmock.resource(group, version, plural), namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return copy.deepcopy(self.objects[key].raw)

    def live(self, group: str, version: str, plural: str) -> Iterator[dict[str, Any]]:
        for (resource, _ns, _name), obj in list(self.objects.items()):
            same = (resource.group, resource.version, resource.plural) == (group, version, plural)
            if same and not obj.deleted:
                yield copy.deepcopy(obj.raw)

    # -- request handling --

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        path = request.url.path.rstrip("/") or "/"
        discovery = self._discovery(path)
        if discovery is not None:
            return aiohttp.web.json_response(discovery)
        if request.resource is None:
            return await super()._handle(request)
        res = request.resource
        if res.group == "" and res.plural is None and request.namespace:
            return await self._serve_namespace(request)
        key = (res.group, res.version, res.plural)
        if key not in RESOURCES:
            return _status(
                404, "NotFound", f"the server could not find the requested resource {path}"
            )
        if request.namespace in self.forbidden_namespaces:
            return _status(
                403,
                "Forbidden",
                f'{res.plural} is forbidden: User "operator" cannot access resource "{res.plural}"'
                f' in the namespace "{request.namespace}"',
            )
        return await self._serve_resource(request, key)

    async def _serve_resource(
        self, request: kmock.Request, key: tuple[str, str, str]
    ) -> aiohttp.web.StreamResponse:
        method = str(getattr(request.method, "value", request.method)).upper()
        if request.subresource == "log" and method == "GET":
            return self._serve_log(request)
        if request.subresource and request.subresource.startswith("proxy/"):
            return self._serve_proxy(request)
        if request.subresource == "scale":
            return await self._serve_scale(request, method)
        watching = request.params.get("watch") in ("1", "true")
        if method == "GET" and request.name is None and not watching:
            return self._serve_filtered_list(request, key)
        if method == "GET" and request.name is not None and request.subresource is None:
            found = self.get_object(*key, request.namespace, request.name)
            if found is None:
                return _status(404, "NotFound", f'{key[2]} "{request.name}" not found')
            return aiohttp.web.json_response(found)
        if method == "PATCH" and request.name is not None:
            return await self._serve_patch(request, key)
        if method == "POST" and isinstance(request.data, dict):
            self._stamp(request.data, request.namespace, key)
        return await super()._handle(request)

    def _check_auth(self, request: kmock.Request) -> aiohttp.web.Response | None:
        self.last_authorization = request.headers.get("Authorization")
        if self.required_token is None and self.token_prefix is None:
            return None
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        ok = (self.required_token is not None and token == self.required_token) or (
            self.token_prefix is not None and token.startswith(self.token_prefix)
        )
        return None if ok else _status(401, "Unauthorized", "Unauthorized")

    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}
                ],
            }
        if path == "/apis":
            groups = sorted({(g, v) for g, v, _ in RESOURCES if g})
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": g,
                        "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                        "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
                    }
                    for g, v in groups
                ],
            }
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            return self._resource_list("", parts[1])
        if parts[0] == "apis" and len(parts) == 3:
            return self._resource_list(parts[1], parts[2])
        return None

    def _resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        entries = []
        for (g, v, plural), (kind, namespaced, verbs, subs) in RESOURCES.items():
            if (g, v) != (group, version):
                continue
            entries.append(
                {
                    "name": plural,
                    "singularName": kind.lower(),
                    "namespaced": namespaced,
                    "kind": kind,
                    "verbs": verbs,
                    "shortNames": SHORT_NAMES.get(plural, []),
                }
            )
            for sub in subs:
                sub_kind = "Scale" if sub == "scale" else kind
                entries.append(
                    {
                        "name": f"{plural}/{sub}",
                        "singularName": "",
                        "namespaced": namespaced,
                        "kind": sub_kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        if not entries:
            return None
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": api_version(group, version),
            "resources": entries,
        }

    def _matching(self, request: kmock.Request, key: tuple[str, str, str]) -> list[dict[str, Any]]:
        labels = request.params.get("labelSelector", "")
        fields = request.params.get("fieldSelector", "")
        items = []
        for (resource, namespace, _name), obj in list(self.objects.items()):
            if (resource.group, resource.version, resource.plural) != key or obj.deleted:
                continue
            if request.namespace is not None and namespace != request.namespace:
                continue
            raw = copy.deepcopy(obj.raw)
            if labels and not label_matches(raw.get("metadata", {}).get("labels") or {}, labels):
                continue
            if fields and not field_matches(raw, fields):
                continue
            items.append(raw)
        return sorted(
            items, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"])
        )

    def _serve_filtered_list(
        self, request: kmock.Request, key: tuple[str, str, str]
    ) -> aiohttp.web.Response:
        group, version, _plural = key
        kind = RESOURCES[key][0]
        items = self._matching(request, key)
        for item in items:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", api_version(group, version))
        body = {
            "kind": f"{kind}List",
            "apiVersion": api_version(group, version),
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
        return aiohttp.web.json_response(body)

    def _serve_log(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        namespace, name = request.namespace or "", request.name or ""
        if self.get_object("", "v1", "pods", namespace, name) is None:
            return _status(404, "NotFound", f'pods "{name}" not found')
        lines = self.pod_logs.get((namespace, name), [])
        since = _int64_param(request, "sinceSeconds", low=1)
        tail = _int64_param(request, "tailLines", low=0)
        if isinstance(since, aiohttp.web.Response):
            return since
        if isinstance(tail, aiohttp.web.Response):
            return tail
        if since is not None:
            # Any span longer than the time since year 1 keeps every line (and timedelta
            # itself cannot hold the int64 range a real server accepts).
            try:
                cutoff = datetime.now(UTC) - timedelta(seconds=since)
            except OverflowError:
                cutoff = datetime.min.replace(tzinfo=UTC)
            lines = [line for line in lines if _log_time(line) >= cutoff]
        if tail is not None:
            lines = lines[-tail:] if tail else []
        if request.params.get("timestamps") not in ("true", "1"):
            lines = [line.split(" ", 1)[1] if " " in line else line for line in lines]
        text = "".join(line + "\n" for line in lines)
        return aiohttp.web.Response(text=text, content_type="text/plain")

    async def _serve_namespace(self, request: kmock.Request) -> aiohttp.web.Response:
        """``/api/v1/namespaces/NAME``, which kmock parses as a namespace with no resource."""
        name = request.namespace or ""
        method = str(getattr(request.method, "value", request.method)).upper()
        current = self.get_object("", "v1", "namespaces", None, name)
        if method == "PATCH":
            merged = merge_patch(current or {}, request.data or {})
            merged.setdefault("metadata", {})["name"] = name
            self._stamp(merged, None, ("", "v1", "namespaces"))
            merged.setdefault("status", {"phase": "Active"})
            self.put(merged)
            return aiohttp.web.json_response(merged)
        if current is None:
            return _status(404, "NotFound", f'namespaces "{name}" not found')
        return aiohttp.web.json_response(current)

    def _serve_proxy(self, request: kmock.Request) -> aiohttp.web.Response:
        assert request.subresource is not None
        key = (request.namespace or "", request.name or "", request.subresource[len("proxy/") :])
        if key not in self.service_proxy:
            return _status(503, "ServiceUnavailable", f'no endpoints available for "{key[1]}"')
        return aiohttp.web.json_response(self.service_proxy[key])

    async def _serve_scale(self, request: kmock.Request, method: str) -> aiohttp.web.Response:
        res = request.resource
        assert res is not None
        namespace, name = request.namespace, request.name or ""
        current = self.get_object(res.group, res.version, res.plural, namespace, name)
        if current is None:
            return _status(404, "NotFound", f'{res.plural}.{res.group} "{name}" not found')
        if method in ("PATCH", "PUT"):
            replicas = (request.data or {}).get("spec", {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                return _status(422, "Invalid", "spec.replicas must be a non-negative integer")
            current["spec"]["replicas"] = replicas
            self.put(current)
        scale = {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": current["spec"].get("replicas", 1)},
            "status": {"replicas": current.get("status", {}).get("replicas", 0)},
        }
        return aiohttp.web.json_response(scale)

    def _stamp(self, obj: dict[str, Any], namespace: str | None, key: tuple[str, str, str]) -> None:
        """What a real API server adds to an object it stores."""
        meta = obj.setdefault("metadata", {})
        kind, namespaced = RESOURCES[key][:2]
        if namespaced and namespace:
            meta["namespace"] = namespace
        meta.setdefault("uid", f"uid-{abs(hash((namespace, meta.get('name'), kind))):x}")
        meta.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        obj.setdefault("kind", kind)
        obj.setdefault("apiVersion", api_version(key[0], key[1]))

    async def _serve_patch(
        self, request: kmock.Request, key: tuple[str, str, str]
    ) -> aiohttp.web.Response:
        content_type = request.headers.get("Content-Type", "")
        try:
            body = request.data if request.data is not None else yaml.safe_load(request.text)
        except yaml.YAMLError:
            return _status(400, "BadRequest", "the patch body is neither JSON nor YAML")
        if not isinstance(body, dict):
            return _status(400, "BadRequest", "the patch body must be an object")
        namespace, name = request.namespace, request.name or ""
        current = self.get_object(*key, namespace, name)
        if current is None and "apply-patch" not in content_type:
            return _status(404, "NotFound", f'{key[2]} "{name}" not found')
        merged = merge_patch(current or {}, body)
        merged.setdefault("metadata", {})["name"] = name
        self._stamp(merged, namespace, key)
        self.put(merged)
        return aiohttp.web.json_response(merged, status=200 if current else 201)


def plural_of(kind: str, group: str) -> str:
    for (g, _v, plural), (k, *_rest) in RESOURCES.items():
        if k == kind and g == group:
            return plural
    raise KeyError(f"unknown kind {group}/{kind}")


_INT64_MAX = 2**63 - 1


def _int64_param(
    request: kmock.Request, name: str, *, low: int
) -> int | aiohttp.web.Response | None:
    """A query parameter the API server decodes as int64: the value, or its 400 answer."""
    raw = request.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        return _status(400, "BadRequest", f"{name}: invalid value {raw!r}: not an integer")
    if not low <= value <= _INT64_MAX:
        return _status(
            400, "BadRequest", f"{name}: Invalid value: {raw}: must be between {low} and int64"
        )
    return value


def _log_time(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))


# --- running it in a thread ------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (CN and IP SAN) and its key, PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class _TlsRawServer(aiohttp.test_utils.RawTestServer):
    """aiohttp's raw test server, listening with TLS (kubectl sends exec-plugin tokens only
    over TLS)."""

    ssl_context: ssl.SSLContext | None = None

    async def start_server(self, **kwargs: Any) -> None:
        kwargs["ssl"] = self.ssl_context
        await super().start_server(**kwargs)


@dataclass
class KubeApiServer:
    """The emulator served on 127.0.0.1 from a background thread with its own loop."""

    api: KubeApi
    url: str = ""
    tls: bool = False
    ca_pem: bytes = b""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None

    def start(self, timeout_s: float = 10.0) -> KubeApiServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        server_cls: type[aiohttp.test_utils.RawTestServer] = aiohttp.test_utils.RawTestServer
        if self.tls:
            with tempfile.TemporaryDirectory() as tmp:
                cert, key = self_signed(Path(tmp))
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(cert, key)
                self.ca_pem = cert.read_bytes()
            server_cls = type("TlsServer", (_TlsRawServer,), {"ssl_context": context})

        async def serve() -> None:
            self._stop = asyncio.Event()
            try:
                async with kmock.Server(self.api, server_cls=server_cls) as server:
                    scheme = "https" if self.tls else "http"
                    self.url = f"{scheme}://127.0.0.1:{server.port}"
                    ready.set()
                    await self._stop.wait()
            except BaseException as exc:  # surfaced to the starting thread
                failure.append(exc)
                ready.set()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="kube-api", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s) or failure:
            raise RuntimeError(f"the Kubernetes stand-in did not start: {failure}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def kubeconfig(
        self,
        path: Path,
        *,
        token: str | None = "static-test-token",
        exec_command: list[str] | None = None,
        exec_env: dict[str, str] | None = None,
        namespace: str = "commsec",
    ) -> Path:
        """Write a kubeconfig for this server: a static token, or an exec plugin."""
        user: dict[str, Any] = {}
        if exec_command:
            user["exec"] = {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": exec_command[0],
                "args": exec_command[1:],
                "env": [{"name": k, "value": v} for k, v in (exec_env or {}).items()] or None,
                "interactiveMode": "Never",
            }
        elif token:
            user["token"] = token
        cluster: dict[str, Any] = {"server": self.url}
        if self.ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "standin", "cluster": cluster}],
            "users": [{"name": "operator", "user": user}],
            "contexts": [
                {
                    "name": "standin",
                    "context": {"cluster": "standin", "user": "operator", "namespace": namespace},
                }
            ],
            "current-context": "standin",
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)
