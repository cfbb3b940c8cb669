"""Evaluate the CrossGuard pack over a recorded plan, the way ``pulumi preview`` would.

The policy objects are the pack's own (``policies.rules.POLICIES``). Each resource is handed
to them in the SDK's own argument types (``ResourceValidationArgs``, ``StackValidationArgs``
with ``PolicyResource`` objects), with its properties deserialized and wrapped in the SDK's
unknown-checking proxy exactly as the analyzer server does, so the same code runs online and
offline. What differs is only the handling the Pulumi engine would do around it:

- enforcement levels come from the stack's policy config (``policies/config/STACK.json``,
  the file ``pulumi preview --policy-pack-config`` takes) over each policy's own level;
- a rule that reads a value unknown at preview yields an advisory "unknown at preview"
  violation, as the SDK reports it;
- a rule that raises is a mandatory violation: online the analyzer fails the preview, so
  offline it must fail the plan too, never pass silently.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError  # the SDK's own not-applicable signal
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

import policies
from ops.errors import InputError
from ops.plan.engine import COMPUTED
from policies.rules import PACK_NAME, POLICIES

CONFIG_DIR = Path(policies.__file__).resolve().parent / "config"
LEVELS = {level.value: level for level in EnforcementLevel}


class PolicyConfigError(InputError):
    """The policy config names an unknown policy or level; the message names the fix."""


def load_policy_config(stack: str) -> dict[str, Any]:
    """The stack's policy config file, or an empty config when the stack has none."""
    path = CONFIG_DIR / f"{stack}.json"
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text())
    except ValueError as exc:
        raise PolicyConfigError(f"{path}: not valid JSON ({exc}); fix the file") from exc
    if not isinstance(loaded, dict):
        raise PolicyConfigError(f"{path}: must be a JSON object of policy name to setting")
    return loaded


def _settings(policy: Policy, config: Mapping[str, Any]) -> tuple[EnforcementLevel, dict[str, Any]]:
    """The policy's enforcement level and config properties, as the CLI would configure it."""
    level = policy.enforcement_level or EnforcementLevel.MANDATORY
    properties: dict[str, Any] = {}
    schema = policy.config_schema
    for key, spec in (schema.properties if schema else {}).items():
        if "default" in spec:
            properties[key] = spec["default"]
    for key in ("all", policy.name):
        entry = config.get(key)
        if entry is None:
            continue
        if isinstance(entry, Mapping):
            raw_level = entry.get("enforcementLevel")
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        else:
            raw_level = entry
        if raw_level is not None:
            level = _level(key, raw_level)
    return level, properties


def _level(key: str, raw: Any) -> EnforcementLevel:
    if raw not in LEVELS:
        raise PolicyConfigError(
            f"policy config {key!r}: enforcement level {raw!r} is not one of "
            f"{', '.join(sorted(LEVELS))}; use one of those"
        )
    return LEVELS[raw]


def _check_names(config: Mapping[str, Any]) -> None:
    known = {p.name for p in POLICIES} | {"all"}
    for key in config:
        if key not in known:
            raise PolicyConfigError(
                f"policy config names {key!r}, which is not a policy of {PACK_NAME}; "
                "remove it or correct the name"
            )


def _plain(value: Any) -> Any:
    """Recorded inputs as the analyzer would receive them: plain JSON, unknowns as sentinels."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value == COMPUTED or type(value).__name__ == "Unknown":
        return UNKNOWN_STRING_VALUE
    return value


def _props(resource: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(_plain(resource.get("inputs") or {})))


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.get("parent") or None,
    )


def _stack_resources(resources: Sequence[Mapping[str, Any]]) -> list[PolicyResource]:
    built = {
        r["urn"]: PolicyResource(
            r["type"], _props(r), r["urn"], r["name"], _options(r), None, None, [], {}
        )
        for r in resources
    }
    for record in resources:
        parent = record.get("parent")
        if parent in built:
            built[record["urn"]].parent = built[parent]
    return list(built.values())


def _run(call: Callable[[], Any]) -> None:
    result = call()
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def _violation(policy: str, level: EnforcementLevel, urn: str, message: str) -> dict[str, str]:
    return {"policy": policy, "enforcement": level.value, "urn": urn, "message": message}


def _evaluate_one(
    policy: Policy, urn: str, call: Callable[[], Any], found: list[dict[str, str]]
) -> None:
    """Run one validation call, turning its outcome into violations appended to ``found``."""

    try:
        _run(call)
    except UnknownValueError as exc:
        found.append(
            _violation(
                policy.name, EnforcementLevel.ADVISORY, urn, f"unknown at preview: {exc.message}"
            )
        )
    except _NotApplicableError:
        return
    except Exception as exc:
        # A crashing rule must fail the plan, never count as a pass.
        found.append(
            _violation(
                policy.name,
                EnforcementLevel.MANDATORY,
                urn,
                f"policy crashed ({type(exc).__name__}: {exc}); the rule must be fixed",
            )
        )


def _reporter(
    found: list[dict[str, str]], policy: Policy, level: EnforcementLevel, default_urn: str
) -> Any:
    """A ``report_violation`` callback like the analyzer's, collecting into ``found``."""

    def report(message: str, urn: str | None = None) -> None:
        found.append(_violation(policy.name, level, urn or default_urn, message))

    return report


def evaluate_pack(resources: list[dict], *, stack: str, config: dict | None = None) -> list[dict]:
    """Violations of every policy of the pack over ``resources`` (the engine's records).

    ``config`` is a policy config document (policy name to level, or to an object with
    ``enforcementLevel`` and properties); None reads ``policies/config/STACK.json``.
    Raises :class:`PolicyConfigError` for a config naming an unknown policy or level.
    """
    pack_config = load_policy_config(stack) if config is None else config
    _check_names(pack_config)
    found: list[dict[str, str]] = []
    stack_resources = _stack_resources(resources)

    for policy in POLICIES:
        level, properties = _settings(policy, pack_config)
        if level is EnforcementLevel.DISABLED:
            continue
        if level is EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        if isinstance(policy, ResourceValidationPolicy):
            for record in resources:
                args = ResourceValidationArgs(
                    record["type"],
                    _props(record),
                    record["urn"],
                    record["name"],
                    _options(record),
                    None,
                    properties,
                    {},
                )
                report = _reporter(found, policy, level, record["urn"])
                _evaluate_one(policy, record["urn"], partial(policy.validate, args, report), found)
        elif isinstance(policy, StackValidationPolicy):
            stack_args = StackValidationArgs(stack_resources, properties, {})
            report = _reporter(found, policy, level, "")
            _evaluate_one(policy, "", partial(policy.validate, stack_args, report), found)
    return found


def mandatory(violations: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """The violations that fail a plan."""
    return [v for v in violations if v["enforcement"] == EnforcementLevel.MANDATORY.value]
