"""Kubernetes access for the day-2 commands: which cluster, which credentials, one client.

The cluster comes from a kubeconfig when one is given (``KUBECONFIG``, ``~/.kube/config``,
``--context``), otherwise from the stack: its ``kubeconfig`` output (or EKS
``DescribeCluster``) for the endpoint and CA, with an EKS token made in-process.

Tokens are resolved once, before any request: an exec plugin run per parallel request would
cost a process start each (lightkube runs the plugin lazily, per connection, without a
lock). ``aws eks get-token`` plugins are recognised and their token is minted in-process
from the same cluster name, region and profile, which saves the AWS CLI's start-up on every
command; any other plugin is run once, as kubectl would.

Requests go through lightkube's kubeconfig model and its httpx adapter (TLS, client
certificates, tokens), returning plain JSON documents: the commands read a handful of fields
across core, apps, autoscaling and metrics.k8s.io, and dicts keep one code path for all.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ops.errors import EscalateError, InputError, RetryableError, truncate

if TYPE_CHECKING:
    from lightkube.config.kubeconfig import SingleConfig

    from ops.context import Context

T = TypeVar("T")

EKS_TOKEN_PREFIX = "k8s-aws-v1."
# The API server accepts a presigned GetCallerIdentity URL for 15 minutes after signing,
# whatever X-Amz-Expires says; aws-iam-authenticator signs with 60 s and so do we.
EKS_TOKEN_EXPIRES_S = 60
_EXEC_TIMEOUT_S = 30
_DEFAULT_TIMEOUT_S = 10.0

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


# A namespace name is a DNS-1123 label; the API server refuses anything else with a 400, so
# a typo is caught here, before any credential is minted or request sent.
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_MAX = 63


def namespace_name(text: str) -> str:
    """An argparse type: ``text`` if it is a valid namespace name."""
    if len(text) > _DNS1123_MAX or not _DNS1123_LABEL.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a namespace name: use at most {_DNS1123_MAX} lowercase letters, "
            "digits and '-', starting and ending with a letter or digit"
        )
    return text


def int_in_range(option: str, low: int, high: int, *, rule: str) -> Callable[[str], int]:
    """An argparse type for a whole number in ``low..high``; ``rule`` says the range in words.

    Checked while parsing, so a huge value never reaches an API or a query, where it fails
    late and obscurely (PostgreSQL's bigint, the API server's int64).
    """

    def parse(text: str) -> int:
        value = int(text)  # a ValueError is argparse's own "invalid int value" message
        if not low <= value <= high:
            raise InputError(f"{option} {text} must be {rule}", hint=f"pass {low}..{high}")
        return value

    parse.__name__ = "int"
    return parse


def add_kube_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("kubernetes")
    group.add_argument(
        "--context", metavar="NAME", help="kubeconfig context (default: the current context)"
    )
    group.add_argument(
        "--namespace",
        "-n",
        metavar="NAME",
        type=namespace_name,
        help="namespace of the workloads (default: the stack's namespace output, or 'commsec')",
    )


# --- EKS tokens --------------------------------------------------------------------------


def eks_token(sts: Any, cluster_name: str) -> str:
    """An EKS bearer token: a presigned STS ``GetCallerIdentity`` URL, as ``aws eks get-token``.

    The ``x-k8s-aws-id`` header binds the signature to one cluster; it must be signed, so it
    is added before signing rather than to the URL afterwards.
    """

    def add_cluster_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster_name

    events = sts.meta.events
    handler_id = f"commsec-eks-token-{cluster_name}"
    events.register("before-sign.sts.GetCallerIdentity", add_cluster_header, unique_id=handler_id)
    try:
        url = sts.generate_presigned_url(
            "get_caller_identity",
            Params={},
            ExpiresIn=EKS_TOKEN_EXPIRES_S,
            HttpMethod="GET",
        )
    finally:
        events.unregister("before-sign.sts.GetCallerIdentity", unique_id=handler_id)
    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return EKS_TOKEN_PREFIX + encoded


def _option(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _is_aws_get_token(command: str, args: list[str]) -> bool:
    return Path(command).name == "aws" and "eks" in args and "get-token" in args


def _token_from_aws_plugin(args: list[str], env: dict[str, str]) -> str:
    """Mint the token ``aws eks get-token ARGS`` would print, without starting the CLI."""
    import boto3
    from botocore.config import Config

    from ops.errors import aws_errors

    cluster = _option(args, "--cluster-name") or _option(args, "--cluster-id")
    if not cluster:
        raise InputError(
            "the kubeconfig's 'aws eks get-token' plugin has no --cluster-name",
            hint="regenerate it with 'aws eks update-kubeconfig --name CLUSTER'",
        )
    profile = _option(args, "--profile") or env.get("AWS_PROFILE")
    region = _option(args, "--region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    with aws_errors("signing the EKS token"):
        session = boto3.session.Session(profile_name=profile, region_name=region)
        sts = session.client("sts", config=Config(retries={"max_attempts": 1}))
        if _option(args, "--role-arn"):
            raise InputError(
                "the kubeconfig's 'aws eks get-token' plugin assumes a role (--role-arn)",
                hint="assume the role in your AWS profile instead, or run kubectl",
            )
        return eks_token(sts, cluster)


def _token_from_exec(command: str, args: list[str], env: dict[str, str]) -> str:
    """Run a client-go credential plugin once and return its bearer token."""
    if _is_aws_get_token(command, args):
        return _token_from_aws_plugin(args, env)
    executable = shutil.which(command) or command
    try:
        done = subprocess.run(
            [executable, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=_EXEC_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            f"the kubeconfig's credential plugin '{command}' is not installed",
            hint="install it or use a kubeconfig with another user",
        ) from None
    except subprocess.TimeoutExpired:
        raise RetryableError(
            f"the credential plugin '{command}' did not answer in {_EXEC_TIMEOUT_S} s"
        ) from None
    if done.returncode != 0:
        raise EscalateError(
            f"the credential plugin '{command}' failed: {truncate(done.stderr or done.stdout)}"
        )
    try:
        return str(json.loads(done.stdout)["status"]["token"])
    except (ValueError, KeyError, TypeError):
        raise EscalateError(
            f"the credential plugin '{command}' printed no ExecCredential token"
        ) from None


# --- choosing the cluster ----------------------------------------------------------------


@dataclass(frozen=True)
class KubeTarget:
    """A resolved cluster: lightkube's config (with a bearer token in place) and namespace."""

    config: SingleConfig
    namespace: str
    source: str

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)


def _kubeconfig_file() -> Path | None:
    raw = os.environ.get("KUBECONFIG")
    if raw is not None:
        for part in raw.split(os.pathsep):
            # NOTE: only the first existing file of a KUBECONFIG list is read; merging several
            # files is left to kubectl, which on-call setups here do not rely on.
            if part and part != os.devnull and Path(part).is_file():
                return Path(part)
        return None
    default = Path.home() / ".kube" / "config"
    return default if default.is_file() else None


def _with_token(config: SingleConfig) -> SingleConfig:
    import msgspec

    user = config.user
    if user is None or user.exec is None or user.token:
        return config
    env = dict(os.environ)
    env.update({var.name: var.value for var in user.exec.env or []})
    token = _token_from_exec(user.exec.command, list(user.exec.args or []), env)
    new_user = msgspec.structs.replace(user, exec=None, token=token)
    return config._replace(user=new_user)


def _kubeconfig_source(path: Path) -> str:
    return f"KUBECONFIG {path}" if os.environ.get("KUBECONFIG") else f"kubeconfig {path}"


def _load_kubeconfig(path: Path) -> Any:
    """The parsed kubeconfig file, or an :class:`InputError` saying what is wrong with it.

    lightkube's own loader fails on an empty or non-YAML file with whatever the YAML parser
    or a ``None`` document raises; each of those is an operator's file to fix.
    """
    import yaml
    from lightkube.config.kubeconfig import KubeConfig

    where = _kubeconfig_source(path)
    fix = "fix the file, or point KUBECONFIG at a kubeconfig from 'aws eks update-kubeconfig'"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{where} cannot be read ({exc.strerror})", hint=fix) from None
    except UnicodeDecodeError:
        raise InputError(f"{where} is not a text file", hint=fix) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(
            f"{where} is not valid YAML{at}: {truncate(problem, 120)}", hint=fix
        ) from None
    if document is None:
        raise InputError(f"{where} is empty", hint=fix)
    if not isinstance(document, dict) or not isinstance(document.get("clusters"), list):
        raise InputError(f"{where} is not a kubeconfig (no 'clusters' list)", hint=fix)
    if not isinstance(document.get("contexts"), list):
        raise InputError(f"{where} is not a kubeconfig (no 'contexts' list)", hint=fix)
    try:
        return KubeConfig.from_dict(document, fname=path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(
            f"{where} is not a valid kubeconfig ({type(exc).__name__}: {truncate(exc, 120)})",
            hint=fix,
        ) from None


def _from_kubeconfig(path: Path, context: str | None) -> SingleConfig:
    from lightkube.core.exceptions import ConfigError

    kubeconfig = _load_kubeconfig(path)
    try:
        config = kubeconfig.get(context_name=context)
    except ConfigError as exc:
        raise InputError(
            f"{_kubeconfig_source(path)}: {exc}",
            hint="check --context against 'kubectl config get-contexts'",
        ) from None
    except (KeyError, TypeError, AttributeError) as exc:
        # A context naming a cluster or user the file does not define.
        raise InputError(
            f"{_kubeconfig_source(path)}: the context refers to an undefined entry "
            f"({truncate(exc, 120)})",
            hint="fix the file's contexts, clusters and users",
        ) from None
    assert config is not None
    return config


def _from_stack(ctx: Context, context: str | None) -> SingleConfig:
    """The stack's cluster: endpoint and CA from its kubeconfig output, token in-process."""
    import yaml
    from lightkube.config.kubeconfig import KubeConfig

    outputs = ctx.outputs()
    try:
        document = yaml.safe_load(outputs.kubeconfig)
    except yaml.YAMLError:
        document = None
    clusters = document.get("clusters") if isinstance(document, dict) else None
    if clusters:
        server = clusters[0]["cluster"]["server"]
        ca_data = clusters[0]["cluster"].get("certificate-authority-data")
    else:
        from ops.errors import aws_errors

        with aws_errors(f"describing EKS cluster {outputs.cluster_name}"):
            cluster = ctx.aws("eks").describe_cluster(name=outputs.cluster_name)["cluster"]
        server, ca_data = cluster["endpoint"], cluster["certificateAuthority"]["data"]
    from ops.errors import aws_errors

    with aws_errors("signing the EKS token"):
        token = eks_token(ctx.aws("sts"), outputs.cluster_name)
    cluster_entry: dict[str, Any] = {"server": server}
    if ca_data:
        cluster_entry["certificate-authority-data"] = ca_data
    config = KubeConfig.from_dict(
        {
            "clusters": [{"name": outputs.cluster_name, "cluster": cluster_entry}],
            "users": [{"name": "eks", "user": {"token": token}}],
            "contexts": [
                {"name": "stack", "context": {"cluster": outputs.cluster_name, "user": "eks"}}
            ],
            "current-context": "stack",
        }
    ).get()
    assert config is not None
    return config


def resolve_target(
    ctx: Context, *, context: str | None = None, namespace: str | None = None
) -> KubeTarget:
    """The cluster to talk to, with credentials ready; see the module docstring for order."""
    path = _kubeconfig_file()
    if path is not None:
        config = _with_token(_from_kubeconfig(path, context))
        source = f"kubeconfig {path} (context {config.context_name})"
        default_ns = config.context.namespace if config.context.namespace != "default" else None
    else:
        if context:
            raise InputError(
                f"--context {context} needs a kubeconfig and none was found",
                hint="set KUBECONFIG, or drop --context to use the stack's cluster",
            )
        if not (ctx.stack or ctx.outputs_file):
            raise InputError(
                "no kubeconfig found and no stack given",
                hint="set KUBECONFIG (or ~/.kube/config), or pass --stack/--outputs",
            )
        config = _from_stack(ctx, context)
        source = f"EKS cluster {ctx.outputs().cluster_name} of {ctx.stack_label}"
        default_ns = None
    chosen = namespace or _stack_namespace(ctx) or default_ns or "commsec"
    return KubeTarget(config=config, namespace=chosen, source=source)


def _stack_namespace(ctx: Context) -> str | None:
    if ctx.stack or ctx.outputs_file:
        return ctx.outputs().namespace
    return None


# --- the client --------------------------------------------------------------------------


def _timeout() -> float:
    from ops.context import env_number

    return env_number("COMMSEC_KUBE_TIMEOUT", _DEFAULT_TIMEOUT_S, maximum=600)


class Kube:
    """An async JSON client for one cluster; every failure becomes a :mod:`ops.errors` error."""

    def __init__(self, target: KubeTarget) -> None:
        self.target = target
        self._client: Any = None

    async def __aenter__(self) -> Kube:
        import httpx2 as httpx
        from lightkube.config import client_adapter

        config = self.target.config
        assert config.user is not None
        # Building an SSL context loads the CA bundle (~0.1 s); a plain-HTTP endpoint (a
        # local API server or proxy) never uses it, so it is only built for HTTPS.
        verify: Any = False
        if self.target.server.startswith("https:"):
            verify = client_adapter.verify_cluster(
                config.cluster, config.user, config.abs_file, trust_env=False
            )
        self._client = httpx.AsyncClient(
            base_url=self.target.server,
            verify=verify,
            auth=client_adapter.user_auth(config.user),
            timeout=httpx.Timeout(_timeout()),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        allow: tuple[int, ...] = (),
    ) -> Any:
        import httpx2 as httpx

        headers = {"Accept": JSON}
        content = None
        if body is not None:
            headers["Content-Type"] = content_type
            content = json.dumps(body).encode()
        try:
            response = await self._client.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.TimeoutException:
            raise RetryableError(
                f"{what}: the Kubernetes API at {self.target.server} did not answer within "
                f"{_timeout():g} s",
                hint="retry; if it persists, check the control plane (COMMSEC_KUBE_TIMEOUT "
                "sets the limit)",
            ) from None
        except httpx.TransportError as exc:
            raise RetryableError(
                f"{what}: cannot reach the Kubernetes API at {self.target.server} "
                f"({truncate(exc, 120)})",
                hint="check the network, the VPN and the kubeconfig's server, then retry",
            ) from None
        if not allow or response.status_code not in allow:
            raise_for_status(response.status_code, response.text, what, self.target)
        return response

    async def get(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> Any:
        response = await self._send("GET", path, what=what, params=params)
        return response.json()

    async def status(self, path: str, *, what: str) -> int:
        """The status of a GET of ``path``: 200, or 404 (absent) or 403 (not visible to this
        identity); any other failure raises as for :meth:`get`."""
        response = await self._send("GET", path, what=what, allow=(403, 404))
        return int(response.status_code)

    async def text(self, path: str, *, what: str, params: dict[str, Any] | None = None) -> str:
        response = await self._send("GET", path, what=what, params=params)
        return str(response.text)

    async def patch(self, path: str, body: Any, *, what: str, content_type: str) -> Any:
        params = {"fieldManager": "commsec"}
        if content_type == APPLY_PATCH:
            params["force"] = "true"
        response = await self._send(
            "PATCH", path, what=what, params=params, body=body, content_type=content_type
        )
        return response.json()


def _status_message(text: str) -> str:
    try:
        return str(json.loads(text).get("message") or text)
    except (ValueError, AttributeError):
        return text


def raise_for_status(code: int, text: str, what: str, target: KubeTarget) -> None:
    """Map a Kubernetes API status to what the operator can do about it."""
    if code < 400:
        return
    message = truncate(_status_message(text), 200)
    if code == 401:
        raise EscalateError(
            f"{what}: the Kubernetes API rejected the credentials from {target.source} (401)",
            hint="refresh the kubeconfig ('aws eks update-kubeconfig') or check the AWS identity",
        )
    if code == 403:
        raise EscalateError(
            f"{what}: forbidden by RBAC ({message})",
            hint=f"ask for read access to namespace '{target.namespace}', or pick another "
            "--context/--namespace",
        )
    if code == 404:
        raise InputError(f"{what}: not found ({message})", hint="check the name and --namespace")
    if code in (409, 422):
        raise EscalateError(f"{what}: rejected by the API server ({code}: {message})")
    if code == 429 or code >= 500:
        raise RetryableError(
            f"{what}: the Kubernetes API answered {code} ({message})", hint="retry in a minute"
        )
    raise EscalateError(f"{what}: the Kubernetes API answered {code} ({message})")


def run_with(target: KubeTarget, work: Callable[[Kube], Awaitable[T]]) -> T:
    """Open a client for ``target``, run ``work`` with it on a fresh event loop, close it."""

    async def main() -> T:
        async with Kube(target) as kube:
            return await work(kube)

    return asyncio.run(main())


async def require_namespace(kube: Kube, namespace: str) -> None:
    """Fail with an input error when ``namespace`` does not exist.

    Listing anything in a missing namespace succeeds with no items, so without this a typo
    in ``--namespace`` reads as a healthy, empty platform. An identity that may not read
    namespaces (403) cannot tell; the command then goes on and its own reads decide.
    """
    code = await kube.status(
        f"/api/v1/namespaces/{namespace}", what=f"reading namespace {namespace}"
    )
    if code == 404:
        raise InputError(
            f"--namespace {namespace}: no such namespace in {kube.target.source}",
            hint="check the name with 'kubectl get namespaces', or drop --namespace to use "
            "the stack's namespace",
        )


def run_in_namespace(target: KubeTarget, read: Callable[[Kube], Awaitable[T]]) -> T:
    """:func:`run_with` for reads in the target's namespace, failing if it does not exist.

    The existence check runs alongside ``read`` (no extra round trip), so ``read`` must not
    change anything. A missing namespace explains any failure of the read, so it wins;
    otherwise the read's own error is the one reported.
    """

    async def checked(kube: Kube) -> T:
        exists, result = await asyncio.gather(
            require_namespace(kube, target.namespace), read(kube), return_exceptions=True
        )
        if isinstance(exists, InputError):
            raise exists
        if isinstance(result, BaseException):
            raise result
        if isinstance(exists, BaseException):
            raise exists
        return result

    return run_with(target, checked)


def ns_path(namespace: str, plural: str, name: str | None = None, *, group: str = "") -> str:
    """The REST path of a namespaced resource (``group`` like ``apps/v1``; core if empty)."""
    base = f"/apis/{group}" if group else "/api/v1"
    path = f"{base}/namespaces/{namespace}/{plural}"
    return f"{path}/{name}" if name else path


def target_from_args(args: argparse.Namespace, ctx: Context) -> KubeTarget:
    """The target named by a command's ``--context``/``--namespace`` (and the stack)."""
    return resolve_target(ctx, context=args.context, namespace=args.namespace)
