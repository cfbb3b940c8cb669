"""Load and validate a stack's outputs: the only way day-2 commands learn about a stack.

The outputs come from ``pulumi stack output --json --show-secrets`` (``--stack NAME``) or from
the JSON document that command prints (``--outputs FILE``). Both are checked against the
contract in :mod:`infra.contract`, so a missing or malformed output is an input error that
names the output and the stack rather than a ``KeyError`` deep inside an operation.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.contract import OUTPUTS, OutputSpec
from ops.errors import InputError, RetryableError, truncate

_PULUMI_TIMEOUT_S = 60
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


@dataclass(frozen=True)
class StackOutputs:
    """The validated outputs of one stack, with Python names."""

    source: str
    region: str
    availability_zones: tuple[str, ...]
    availability_zone_ids: tuple[str, ...]
    vpc_id: str
    cluster_name: str
    kubeconfig: str
    web_node_group_name: str
    app_node_group_name: str
    web_alb_arn: str
    web_alb_dns_name: str
    web_target_group_arns: tuple[str, ...]
    app_alb_arn: str
    app_alb_dns_name: str
    app_target_group_arns: tuple[str, ...]
    cloudfront_distribution_id: str
    cloudfront_domain_name: str
    db_instance_identifier: str
    db_endpoint: str
    db_port: int
    db_name: str
    db_master_user_secret_arn: str
    alerts_topic_arn: str
    backup_bucket_name: str
    backup_kms_key_arn: str
    namespace: str

    def az_id_for(self, name: str) -> str | None:
        """The AZ id of an AZ name of this stack (same order in both outputs)."""
        pairs = dict(zip(self.availability_zones, self.availability_zone_ids, strict=True))
        return pairs.get(name)

    def az_name_for(self, zone_id: str) -> str | None:
        pairs = dict(zip(self.availability_zone_ids, self.availability_zones, strict=True))
        return pairs.get(zone_id)

    def alb_arns(self, which: str) -> dict[str, str]:
        """``{"web": arn, "app": arn}`` filtered by ``web``, ``app`` or ``all``."""
        both = {"web": self.web_alb_arn, "app": self.app_alb_arn}
        return both if which == "all" else {which: both[which]}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _check(spec: OutputSpec, value: Any, source: str) -> Any:
    where = f"output '{spec.name}' of {source}"
    if spec.kind in ("str", "secret_str"):
        if isinstance(value, dict) and "plaintext" in value:
            value = value["plaintext"]
        if isinstance(value, dict | list) and spec.kind == "secret_str":
            return json.dumps(value)
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f"{where} must be a non-empty string, got {truncate(repr(value), 60)}",
                hint="re-export the stack outputs with 'pulumi stack output --json --show-secrets'",
            )
        # A redacted kubeconfig ('[secret]', exported without --show-secrets) is accepted:
        # only the Kubernetes commands use it, and they fall back to EKS DescribeCluster for
        # the endpoint and CA, minting their own token either way.
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InputError(f"{where} must be an integer, got {truncate(repr(value), 60)}")
        try:
            number = int(value)
        except ValueError:
            raise InputError(f"{where} must be an integer, got {value!r}") from None
        if not 0 < number < 65536:
            raise InputError(f"{where} must be a port number, got {number}")
        return number
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise InputError(
            f"{where} must be a non-empty list of strings, got {truncate(repr(value), 60)}"
        )
    return tuple(value)


def parse_outputs(document: Any, source: str) -> StackOutputs:
    """Validate a decoded ``pulumi stack output --json`` document."""
    if not isinstance(document, dict):
        raise InputError(
            f"the outputs of {source} must be a JSON object of output names, "
            f"got {type(document).__name__}",
            hint="use the JSON printed by 'pulumi stack output --json --show-secrets'",
        )
    missing = [spec.name for spec in OUTPUTS if spec.name not in document]
    if missing:
        raise InputError(
            f"{source} lacks the output(s) {', '.join(missing)}",
            hint="run 'pulumi up' for that stack with the current program, then export again",
        )
    values = {_snake(spec.name): _check(spec, document[spec.name], source) for spec in OUTPUTS}
    if not _REGION.match(values["region"]):
        raise InputError(
            f"output 'region' of {source} is {values['region']!r}, not an AWS region name",
            hint="expected a name like us-east-1; re-export the stack outputs",
        )
    outputs = StackOutputs(source=source, **values)
    if len(outputs.availability_zones) != len(outputs.availability_zone_ids):
        raise InputError(
            f"outputs 'availabilityZones' and 'availabilityZoneIds' of {source} differ in length"
        )
    return outputs


def load_outputs_file(path: str) -> StackOutputs:
    source = f"outputs file {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"--outputs {path}: no such file",
            hint="pass the JSON written by 'pulumi stack output --json --show-secrets > FILE'",
        ) from None
    except IsADirectoryError:
        raise InputError(f"--outputs {path} is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise InputError(
            f"--outputs {path} is not UTF-8 text",
            hint="pass the JSON written by 'pulumi stack output --json --show-secrets > FILE'",
        ) from None
    except OSError as exc:
        raise InputError(f"--outputs {path}: cannot read it ({exc.strerror})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--outputs {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            hint="regenerate it with 'pulumi stack output --json --show-secrets'",
        ) from None
    return parse_outputs(document, source)


def load_stack_outputs(stack: str, *, cwd: str | None = None) -> StackOutputs:
    """Ask the Pulumi CLI for the outputs of ``stack``."""
    source = f"stack {stack}"
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise InputError(
            f"--stack {stack} needs the Pulumi CLI, which is not installed",
            hint="install it, or pass --outputs FILE with the stack's exported outputs",
        )
    try:
        done = subprocess.run(
            [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack],
            capture_output=True,
            text=True,
            timeout=_PULUMI_TIMEOUT_S,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RetryableError(
            f"'pulumi stack output' for {source} did not answer in {_PULUMI_TIMEOUT_S} s",
            hint="check the Pulumi backend, or pass --outputs FILE",
        ) from None
    if done.returncode != 0:
        raise InputError(
            f"'pulumi stack output' failed for {source}: {truncate(done.stderr or done.stdout)}",
            hint="check the stack name with 'pulumi stack ls', or pass --outputs FILE",
        )
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise InputError(f"'pulumi stack output --json' for {source} printed no JSON") from None
    return parse_outputs(document, source)


def load_outputs(*, stack: str | None, outputs_file: str | None) -> StackOutputs:
    """The outputs from ``--outputs FILE`` (preferred when both are given) or ``--stack``."""
    if outputs_file:
        return load_outputs_file(outputs_file)
    if stack:
        return load_stack_outputs(stack)
    raise InputError(
        "this command needs the stack's outputs",
        hint="pass --stack NAME (with the Pulumi CLI) or --outputs FILE",
    )
