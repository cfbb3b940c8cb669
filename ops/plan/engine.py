"""The offline plan engine: run the real Pulumi program under a recording mock monitor.

The program runs in-process with the stack file's configuration. Every resource it registers
is recorded as the engine receives it (type token, name, parent URN, camelCase inputs), which
is also what a CrossGuard policy sees during ``pulumi preview``. Mocked providers answer with
plausible computed values (ids, ARNs in account 123456789012, DNS names, a kubeconfig) so that
outputs and dependent inputs resolve to realistic strings.

What this cannot see: resources that remote components (``eks:index:Cluster``,
``eks:index:ManagedNodeGroup``) create inside their provider. Offline, each remote component
is one recorded resource with its inputs; online, CrossGuard also sees its children.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

PROJECT = "commsec-platform"
STACK_TYPE = "pulumi:pulumi:Stack"
ACCOUNT = "123456789012"
SECRET_PLACEHOLDER = "[secret]"
# How a value that is not known until `pulumi up` is recorded in the plan; the policy
# evaluation maps it back to the SDK's unknown sentinel.
COMPUTED = "<computed>"
# The mocked region's AZs, with the zone ids of a typical account mapping.
MOCK_ZONE_IDS = {
    "a": "use1-az4",
    "b": "use1-az6",
    "c": "use1-az1",
    "d": "use1-az2",
    "e": "use1-az3",
    "f": "use1-az5",
}


class StackFileError(ValueError):
    """The stack file is missing or not a Pulumi stack file; the message names the fix."""


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    custom: bool
    # How many ``transforms`` the resource carries; the engine, not the mock, runs them.
    transforms: int = 0
    # The id the mocked provider assigned (for a load balancer, its ARN).
    id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "inputs": self.inputs,
        }


@dataclass
class PlanResult:
    stack: str
    project: str
    config: dict[str, str]
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> RecordedResource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(f"no resource named {name!r} in the plan of {self.stack}")

    def manifests(self) -> list[dict[str, Any]]:
        """The Kubernetes objects as they would be applied: apiVersion, kind, metadata, spec."""
        result = []
        for resource in self.resources:
            if not resource.type.startswith("kubernetes:") or resource.type.startswith(
                ("kubernetes:helm.sh", "pulumi:providers")
            ):
                continue
            inputs = resource.inputs
            if "apiVersion" not in inputs or "kind" not in inputs:
                continue
            manifest: dict[str, Any] = {
                key: inputs[key]
                for key in ("apiVersion", "kind", "metadata", "spec", "data", "stringData")
                if key in inputs
            }
            result.append(manifest)
        return result

    def document(self) -> dict[str, Any]:
        """The plan JSON document (without the policy verdicts, which the caller adds)."""
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [r.as_json() for r in self.resources],
            "outputs": {
                k: SECRET_PLACEHOLDER if k in self.secret_outputs else v
                for k, v in self.outputs.items()
            },
        }


# --- stack file ------------------------------------------------------------------------------

# Structured values larger than this once aliases are expanded are refused: a few lines of
# nested aliases can otherwise expand to gigabytes ("billion laughs").
MAX_EXPANDED_NODES = 100_000


class _StackLoader(yaml.SafeLoader):
    """A YAML loader that keeps what the operator wrote, as Pulumi hands config to a program.

    PyYAML follows YAML 1.1, which turns ``16.10`` into the float 16.1, ``1.30`` into 1.3,
    ``0500`` into the octal 320, ``2026-01-01`` into a date and ``no``/``off`` into False.
    Pulumi passes a scalar as the string in the file, so here only ``null``, ``true``/``false``
    and plain decimal integers are typed; every other scalar stays the text as written.
    """

    # PyYAML looks its resolvers up on the class; an empty table of its own (filled below)
    # replaces the inherited YAML 1.1 one instead of adding to it.
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Checked before the merge keys are flattened: a key repeated by ``<<`` is an
        # override the operator asked for, a key written twice is a mistake.
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first:
                raise _DuplicateKey(key, first[key], line)
            first[key] = line
        return super().construct_mapping(node, deep=deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    # No leading zeros: PyYAML would read 0500 as octal, Pulumi reads it as text.
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*))$", list("-+0123456789")),
    (_MERGE_TAG, r"^(?:<<)$", ["<"]),
):
    _StackLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, again: int) -> None:
        super().__init__(key, first, again)
        self.key, self.first, self.again = key, first, again


def _check_graph(root: yaml.Node, path: Path) -> None:
    """Refuse an alias that contains itself and a document that expands beyond reason."""
    sizes: dict[int, int] = {}
    # Iterative depth-first walk: (node, children visited?). ``open_nodes`` are the ancestors
    # of the node being visited, so meeting one of them again is a cycle.
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children = _children(node)
        if done:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                raise StackFileError(
                    f"stack file {path}: the value at line {node.start_mark.line + 1} expands "
                    f"to more than {MAX_EXPANDED_NODES} values through aliases; "
                    "write it out without nested aliases"
                )
            continue
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise StackFileError(
                    f"stack file {path}: the anchored value at line {child.start_mark.line + 1} "
                    "refers to itself through an alias (a circular reference); "
                    "replace the alias inside it with the value it should hold"
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise StackFileError(
            f"stack file {path} does not exist; pass an existing file with --stack-file"
        ) from None
    except UnicodeDecodeError as exc:
        raise StackFileError(
            f"stack file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); pass a Pulumi stack file, which is YAML text"
        ) from None
    except OSError as exc:
        raise StackFileError(
            f"stack file {path} cannot be read ({exc.strerror or exc}); "
            "check its permissions or pass another file with --stack-file"
        ) from None
    loader = _StackLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_graph(root, path)
        return loader.construct_document(root)
    except _DuplicateKey as dup:
        raise StackFileError(
            f"stack file {path}: key {dup.key!r} appears twice (line {dup.first} and line "
            f"{dup.again}); Pulumi would keep only the last; delete one of them"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None)
        what = f" ({problem})" if problem else ""
        raise StackFileError(
            f"stack file {path} is not valid YAML{where}{what}; fix its syntax"
        ) from None
    except RecursionError:
        raise StackFileError(
            f"stack file {path} nests its values too deeply to read; flatten its structure"
        ) from None
    finally:
        loader.dispose()


def load_stack_config(path: Path) -> tuple[dict[str, str], list[str]]:
    """The ``config:`` of a stack file as Pulumi passes it to a program, and its secret keys.

    Scalars keep the text the operator wrote (see :class:`_StackLoader`), structured values
    become JSON strings (what ``pulumi.Config.get_object`` parses), and ``secure:`` values are
    kept as secrets without being decrypted: the offline run has no passphrase or KMS key, so
    they read as a placeholder.
    """
    document = _read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"stack file {path} has no 'config:' mapping; add one")
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (document.get("config") or {}).items():
        key = str(key)
        if ":" not in key:
            key = f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = SECRET_PLACEHOLDER
            secrets.append(key)
        elif isinstance(value, str):
            config[key] = value
        elif isinstance(value, bool):
            config[key] = "true" if value else "false"
        elif value is None:
            # ``key:`` with nothing after it: Pulumi reads an empty string.
            config[key] = ""
        else:
            config[key] = _as_json(path, key, value)
    return config, secrets


def _as_json(path: Path, key: str, value: Any) -> str:
    try:
        return json.dumps(value)
    except TypeError as exc:
        # Only explicit tags get here (``!!binary``, ``!!set``, ``!!timestamp``): plain
        # scalars are text, and Pulumi's configuration carries nothing but JSON.
        raise StackFileError(
            f"stack file {path}: {key} holds a value Pulumi configuration cannot carry ({exc}); "
            "write it as plain text, a list or a mapping without a !! tag"
        ) from None


# --- mocks -----------------------------------------------------------------------------------


def _digest(text: str, length: int = 17) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class _Ctx:
    """What every mock answer is built from."""

    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    token: str  # a stable digest of type and name: same plan, same ids

    @property
    def physical(self) -> str:
        return str(self.inputs.get("name") or self.inputs.get("identifier") or self.name)

    def arn(self, service: str, rest: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{rest}"


Answer = tuple[str, dict[str, Any]]

_EC2_PREFIXES = {
    "Vpc": "vpc",
    "Subnet": "subnet",
    "InternetGateway": "igw",
    "NatGateway": "nat",
    "RouteTable": "rtb",
    "Eip": "eipalloc",
    "SecurityGroup": "sg",
    "DefaultSecurityGroup": "sg",
    "FlowLog": "fl",
    "LaunchTemplate": "lt",
}


def _eks_cluster(c: _Ctx) -> Answer:
    kubeconfig = _kubeconfig(c.physical, c.region, c.token)
    issuer = f"oidc.eks.{c.region}.amazonaws.com/id/{c.token.upper()}"
    return c.physical, {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "clusterSecurityGroupId": f"sg-{c.token}",
        "nodeSecurityGroupId": f"sg-{_digest(c.token)}",
        "oidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}",
        "oidcProviderUrl": issuer,
        "oidcIssuer": f"https://{issuer}",
    }


def _ec2(c: _Ctx) -> Answer:
    kind = c.type.rsplit(":", 1)[1]
    resource_id = f"{_EC2_PREFIXES.get(kind, kind.lower())}-{c.token}"
    state: dict[str, Any] = {"arn": c.arn("ec2", f"{kind.lower()}/{resource_id}")}
    if kind == "LaunchTemplate":
        state["latestVersion"] = 1
    return resource_id, state


def _load_balancer(c: _Ctx) -> Answer:
    suffix = f"app/{c.physical}/{c.token[:16]}"
    arn = c.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    scheme = "internal-" if c.inputs.get("internal") else ""
    dns = f"{scheme}{c.physical}-{int(c.token[:8], 16)}.{c.region}.elb.amazonaws.com"
    return arn, {"arn": arn, "arnSuffix": suffix, "dnsName": dns, "zoneId": "Z35SXDOTRQ7X7K"}


def _target_group(c: _Ctx) -> Answer:
    suffix = f"targetgroup/{c.name[:20]}/{c.token[:16]}"
    arn = c.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix}


def _listener(c: _Ctx) -> Answer:
    arn = c.arn("elasticloadbalancing", f"listener/app/{c.token}")
    return arn, {"arn": arn}


def _rds_instance(c: _Ctx) -> Answer:
    host = f"{c.physical}.c{c.token[:11]}.{c.region}.rds.amazonaws.com"
    secret = {
        "secretArn": c.arn("secretsmanager", f"secret:rds!db-{c.token}-AbCdEf"),
        "kmsKeyId": c.inputs.get("masterUserSecretKmsKeyId", ""),
        "secretStatus": "active",
    }
    return c.physical, {
        "arn": c.arn("rds", f"db:{c.physical}"),
        "address": host,
        "endpoint": f"{host}:{c.inputs.get('port', 5432)}",
        "masterUserSecrets": [secret],
    }


def _distribution(c: _Ctx) -> Answer:
    resource_id = f"E{c.token[:13].upper()}"
    return resource_id, {
        "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{resource_id}",
        "domainName": f"d{c.token[:13]}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
    }


def _bucket(c: _Ctx) -> Answer:
    prefix = c.inputs.get("bucketPrefix", f"{c.name}-")
    bucket = str(c.inputs.get("bucket") or f"{prefix}{c.token[:12]}")
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.amazonaws.com",
    }


def _kms_key(c: _Ctx) -> Answer:
    t = c.token
    key_id = f"{t[:8]}-{t[8:12]}-4{t[12:15]}-8{t[15:17]}1-{_digest(t, 12)}"
    return key_id, {"keyId": key_id, "arn": c.arn("kms", f"key/{key_id}")}


def _named_arn(service: str, kind: str) -> Callable[[_Ctx], Answer]:
    def answer(c: _Ctx) -> Answer:
        arn = c.arn(service, f"{kind}{c.physical}")
        return (arn if service == "sns" else c.physical), {"arn": arn}

    return answer


def _role(c: _Ctx) -> Answer:
    role = f"{c.name[:38]}-{c.token[:7]}"
    return role, {"name": role, "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}"}


def _rds_named(c: _Ctx) -> Answer:
    name = c.physical if c.inputs.get("name") else f"{c.name}-{c.token[:7]}"
    kind = "subgrp" if "subnetGroup" in c.type else "pg"
    return name, {"name": name, "arn": c.arn("rds", f"{kind}:{name}")}


def _kubernetes(c: _Ctx) -> Answer:
    meta = c.inputs.get("metadata") or {}
    return "/".join(p for p in (meta.get("namespace"), meta.get("name") or c.name) if p), {}


_ANSWERS: dict[str, Callable[[_Ctx], Answer]] = {
    "eks:index:Cluster": _eks_cluster,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:sns/topic:Topic": _named_arn("sns", ""),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named_arn("cloudwatch", "alarm:"),
    "aws:cloudwatch/logGroup:LogGroup": _named_arn("logs", "log-group:"),
    "aws:iam/role:Role": _role,
    "aws:rds/subnetGroup:SubnetGroup": _rds_named,
    "aws:rds/parameterGroup:ParameterGroup": _rds_named,
}


def _mock_state(
    type_token: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    """A plausible id and computed properties for one resource, stable across runs."""
    c = _Ctx(type_token, name, inputs, region, _digest(f"{type_token}::{name}"))
    answer = _ANSWERS.get(type_token)
    if answer is None and type_token.startswith("aws:ec2/"):
        answer = _ec2
    elif answer is None and type_token.startswith("kubernetes:"):
        answer = _kubernetes
    if answer is not None:
        resource_id, state = answer(c)
    else:
        resource_id, state = f"{name}-{c.token[:8]}", {}
        if type_token.startswith("aws:"):
            service = type_token.split(":")[1].split("/")[0]
            kind = type_token.rsplit(":", 1)[1].lower()
            state = {"arn": c.arn(service, f"{kind}/{resource_id}")}
    return resource_id, {**inputs, **state}


def _kubeconfig(cluster: str, region: str, token: str) -> dict[str, Any]:
    server = f"https://{token.upper()}.gr7.{region}.eks.amazonaws.com"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": server, "certificate-authority-data": "bW9jaw=="},
            }
        ],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
        "current-context": cluster,
        "users": [
            {
                "name": cluster,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster, "--region", region],
                    }
                },
            }
        ],
    }


def _mock_call(token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {
            "names": [f"{region}{s}" for s in MOCK_ZONE_IDS],
            "zoneIds": list(MOCK_ZONE_IDS.values()),
            "state": "available",
            "id": region,
            "groupNames": [region],
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/plan",
            "userId": "AIDAPLAN",
            "id": ACCOUNT,
        }
    if token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
        return {
            "id": "pl-3b927c52",
            "name": args.get("name", ""),
            "addressFamily": "IPv4",
            "arn": f"arn:aws:ec2:{region}:aws:prefix-list/pl-3b927c52",
            "maxEntries": 55,
        }
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region}
    return {}


def _build_monitor(region: str, records: list[RecordedResource], stack: str, project: str) -> Any:
    import pulumi
    from pulumi.runtime import mocks, rpc
    from pulumi.runtime.proto import resource_pb2

    class Recorder(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return _mock_state(args.typ, args.name, args.inputs, region)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            return _mock_call(args.token, args.args, region), []

    class RecordingMonitor(mocks.MockMonitor):
        """Records registrations; does not advertise resource references.

        With resource references, a Resource passed as an input (an IAM role, the EKS
        cluster) is rebuilt on the monitor's thread and binds to another event loop. Without
        them the SDK sends the resource's id or URN, which is also what gets recorded.
        """

        def GetDeploymentInfo(self, request):  # gRPC method names
            info = super().GetDeploymentInfo(request)
            features = [
                f
                for f in info.supportedFeatures
                if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
            ]
            return resource_pb2.DeploymentInfo(supportedFeatures=features)

        def SupportsFeature(self, request):
            supported = request.id not in ("outputValues", "resourceReferences")
            return type("SupportsFeatureResponse", (object,), {"hasSupport": supported})

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the engine does: the parent's whole qualified type chain, except that the
            # root stack is not part of it.
            qualified = type_
            if parent and parent.split("::")[2] != STACK_TYPE:
                qualified = f"{parent.split('::')[2]}${type_}"
            return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type != STACK_TYPE:
                inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                records.append(
                    RecordedResource(
                        urn=response.urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent or None,
                        inputs=_plain(inputs),
                        custom=bool(request.custom),
                        transforms=len(request.transforms),
                        id=response.id,
                    )
                )
            return response

    return Recorder(), RecordingMonitor


def _plain(value: Any) -> Any:
    """Inputs as JSON values: secrets unwrapped to their value, unknowns as a marker."""
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return COMPUTED
    # The wire format carries every number as a double; whole numbers read back as ints so
    # the manifests say "replicas: 3", as Kubernetes and checkov expect.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run(
    stack: str,
    stack_file: Path,
    program: Callable[[], None] | None = None,
    project: str = PROJECT,
) -> PlanResult:
    """Run ``program`` (the real one by default) for ``stack`` and return what it registered.

    Raises ``StackFileError`` for an unreadable stack file and lets
    ``infra.settings.SettingsError`` through unchanged, before any resource is registered.
    """
    # The SDK keeps its settings, configuration and root stack in context variables. A fresh,
    # empty context per run means a second plan in the same process (tests, several stacks)
    # starts from nothing instead of reusing the first run's root stack and config.
    return contextvars.Context().run(_run, stack, stack_file, program, project)


def _run(
    stack: str, stack_file: Path, program: Callable[[], None] | None, project: str
) -> PlanResult:
    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    config, secret_keys = load_stack_config(stack_file)
    region = config.get("aws:region", "us-east-1")
    records: list[RecordedResource] = []
    # Importing the providers' type tables and running the program allocate millions of
    # objects that all stay alive until the end; the cyclic collector would rescan them over
    # and over (about half the run time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        if program is None:
            from infra.program import main

            program = main
        entry: Callable[[], None] = program
        mocks, monitor_class = _build_monitor(region, records, stack, project)
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=False, monitor=monitor_class(mocks)
        )
        runtime_config.set_all_config(config, secret_keys)
        try:
            _sync_await(run_pulumi_func(entry))
        except Exception as exc:
            # Tells a reader whether the failure came before any resource existed.
            exc.add_note(f"{len(records)} resources were registered before the failure")
            raise
        root = runtime_settings.get_root_resource()
        exported = dict(getattr(root, "outputs", {}))
        outputs: dict[str, Any] = {}
        secret_outputs: set[str] = set()
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            outputs[key] = _plain(_sync_await(output.future()))
            if _sync_await(output.is_secret()):
                secret_outputs.add(key)
    finally:
        runtime_config.set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)
        if gc_was_enabled:
            gc.enable()
    # Registrations arrive in whatever order the SDK's tasks finish; sort for stable plans.
    records.sort(key=lambda r: r.urn)
    return PlanResult(stack, project, config, records, outputs, secret_outputs)


def write_out(result: PlanResult, document: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``plan.json`` and one ``manifests/*.yaml`` per Kubernetes object."""
    manifests_dir = out_dir / "manifests"
    manifests_dir.mkdir(parents=True, exist_ok=True)
    for stale in manifests_dir.glob("*.yaml"):
        stale.unlink()
    (out_dir / "plan.json").write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    written = []
    for manifest in result.manifests():
        meta = manifest.get("metadata") or {}
        parts = [manifest["kind"].lower(), meta.get("namespace") or "cluster", meta.get("name", "")]
        path = manifests_dir / ("-".join(p for p in parts if p) + ".yaml")
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(path)
    return written


# --- the operator's summary ------------------------------------------------------------------


def _sydney_views(windows: list[Any], daily: bool = False) -> dict[str, list[str]]:
    """Each UTC window as Sydney local time under AEST (UTC+10) and AEDT (UTC+11).

    Both offsets are shown because an AWS schedule is fixed in UTC while Sydney moves
    between them; a window that ends on the next Sydney day shows both days.
    """
    from infra import market

    def local(minute: int) -> str:
        day, rest = divmod(minute % market.WEEK_MINUTES, market.DAY_MINUTES)
        clock = f"{rest // 60:02d}:{rest % 60:02d}"
        return clock if daily else f"{market.DAY_NAMES[day]} {clock}"

    return {
        label: [f"{local(w.start + offset)}-{local(w.end + offset)}" for w in windows]
        for label, offset in (("AEST", 600), ("AEDT", 660))
    }


def summarize(result: PlanResult) -> dict[str, Any]:
    """The settings an operator checks before a change, read from the recorded inputs."""
    from infra import market

    counts: dict[str, int] = {}
    for resource in result.resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    subnets = [
        {
            "name": r.name,
            "zone": r.inputs.get("availabilityZone"),
            "tier": r.inputs.get("tags", {}).get("tier"),
            "cidr": r.inputs.get("cidrBlock"),
        }
        for r in result.of_type("aws:ec2/subnet:Subnet")
    ]
    node_groups = [
        {
            "name": r.inputs.get("nodeGroupName"),
            **(r.inputs.get("scalingConfig") or {}),
            "instanceTypes": r.inputs.get("instanceTypes"),
            "ignoreScalingChanges": r.inputs.get("ignoreScalingChanges", False),
            "subnets": len(r.inputs.get("subnetIds") or []),
        }
        for r in result.of_type("eks:index:ManagedNodeGroup")
    ]
    albs = [
        {
            "name": r.inputs.get("name"),
            "internal": r.inputs.get("internal", False),
            "zonalShift": r.inputs.get("enableZonalShift", False),
            "capacityUnits": (r.inputs.get("minimumLoadBalancerCapacity") or {}).get(
                "capacityUnits", 0
            ),
            "deletionProtection": r.inputs.get("enableDeletionProtection", False),
            "subnets": len(r.inputs.get("subnets") or []),
        }
        for r in result.of_type("aws:lb/loadBalancer:LoadBalancer")
    ]
    arns = {r.id: r.inputs.get("name") for r in result.of_type("aws:lb/loadBalancer:LoadBalancer")}
    autoshift = []
    for r in result.of_type(AUTOSHIFT_TYPE):
        windows = [market.parse_arc_window(w) for w in r.inputs.get("allowedWindows") or []]
        target = str(r.inputs.get("resourceArn", ""))
        autoshift.append(
            {
                "resource": arns.get(target, target),
                "status": r.inputs.get("zonalAutoshiftStatus"),
                "outcomeAlarms": [
                    a.get("alarmIdentifier") for a in r.inputs.get("outcomeAlarms") or []
                ],
                "windowsUtc": r.inputs.get("allowedWindows") or [],
                "windowsSydney": _sydney_views(windows),
            }
        )
    databases = []
    for r in result.of_type("aws:rds/instance:Instance"):
        backup = r.inputs.get("backupWindow", "")
        maintenance = r.inputs.get("maintenanceWindow", "")
        daily = market.parse_daily_window(backup)[:1] if backup else []
        weekly = market.parse_weekly_window(maintenance) if maintenance else []
        databases.append(
            {
                "identifier": r.inputs.get("identifier"),
                "engine": f"{r.inputs.get('engine')} {r.inputs.get('engineVersion')}",
                "instanceClass": r.inputs.get("instanceClass"),
                "multiAz": r.inputs.get("multiAz", False),
                "backupRetentionDays": r.inputs.get("backupRetentionPeriod"),
                "backupWindow": backup,
                "maintenanceWindow": maintenance,
                "backupWindowSydney": _sydney_views(daily, daily=True),
                "maintenanceWindowSydney": _sydney_views(weekly),
            }
        )
    alarms = [
        {
            "name": r.inputs.get("name"),
            "metric": f"{r.inputs.get('namespace')}/{r.inputs.get('metricName')}",
            "statistic": r.inputs.get("statistic"),
            "comparison": r.inputs.get("comparisonOperator"),
            "threshold": r.inputs.get("threshold"),
            "period": r.inputs.get("period"),
            "evaluationPeriods": r.inputs.get("evaluationPeriods"),
            "actions": r.inputs.get("alarmActions") or [],
        }
        for r in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    ]
    return {
        "counts": dict(sorted(counts.items())),
        "availabilityZones": result.outputs.get("availabilityZones"),
        "availabilityZoneIds": result.outputs.get("availabilityZoneIds"),
        "subnets": subnets,
        "natGateways": counts.get("aws:ec2/natGateway:NatGateway", 0),
        "nodeGroups": node_groups,
        "loadBalancers": albs,
        "autoshift": autoshift,
        "databases": databases,
        "alarms": alarms,
    }


AUTOSHIFT_TYPE = "aws:arczonalshift/zonalAutoshiftConfiguration:ZonalAutoshiftConfiguration"
