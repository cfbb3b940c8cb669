"""Building blocks shared by every rule of the pack.

A rule reads a resource the way CrossGuard hands it over: a read-only mapping whose unknown
values (outputs not yet computed at preview) raise ``UnknownValueError`` when touched. Each
policy is made of small checks; the wrapper here runs *all* of them, reports every problem it
can decide from known values, and only then re-raises the first unknown it met. That order
matters: the SDK turns an escaping ``UnknownValueError`` into an advisory "can't run during
preview" diagnostic, and a check that met an unknown early must not hide a mandatory
violation that another check could still decide.

Nothing here catches other exceptions: a rule that crashes must fail the preview (online the
analyzer errors out; offline ``evaluate_pack`` reports it as a mandatory violation).
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

Props = Mapping[str, Any]
Config = Mapping[str, Any]
# A resource check returns the problem it found as a sentence fragment, or None.
Check = Callable[[Props, Config], str | None]
# A stack check yields (message, urn or None) for every problem it finds.
Finding = tuple[str, str | None]
StackCheck = Callable[[Sequence[PolicyResource], Config], Iterable[Finding]]


class _Missing:
    """Marks a setting that is absent (or null) in the resource's properties."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def dig(props: Any, *path: str | int) -> Any:
    """The value at ``path`` inside ``props``, or ``MISSING`` when any step is absent.

    Reading through the CrossGuard proxy raises ``UnknownValueError`` for an unknown value,
    which is what the caller wants: an unknown is reported, never mistaken for absent.
    """
    current = props
    for key in path:
        if isinstance(key, int):
            if isinstance(current, str | bytes) or not isinstance(current, Sequence):
                return MISSING
            if not -len(current) <= key < len(current):
                return MISSING
        elif not isinstance(current, Mapping) or key not in current:
            return MISSING
        current = current[key]
        if current is None:
            return MISSING
    return current


def items(value: Any) -> list[Any]:
    """A list of the elements of ``value`` (empty when it is missing or not a list)."""
    if value is MISSING or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    return [value[index] for index in range(len(value))]


def number(value: Any) -> float | None:
    """``value`` as a number, or None when it is missing or not numeric."""
    if isinstance(value, bool) or value is MISSING:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def text(value: Any) -> str:
    """A short rendering of a value for a message.

    Numbers cross the wire as floats (protobuf ``Struct``), so whole numbers are shown as
    integers: ``35`` whether the program wrote ``35`` or the engine recorded ``35.0``.
    """
    if value is MISSING:
        return "not set"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _run_checks(checks: Sequence[Check], props: Props, config: Config) -> tuple[list[str], Any]:
    problems: list[str] = []
    unknown: UnknownValueError | None = None
    for check in checks:
        try:
            problem = check(props, config)
        except UnknownValueError as exc:
            unknown = unknown or exc
            continue
        if problem:
            problems.append(problem)
    return problems, unknown


def _metadata(
    name: str,
    description: str,
    remediation: str,
    enforcement: EnforcementLevel,
    config_schema: PolicyConfigSchema | None,
) -> dict[str, Any]:
    """The SDK arguments every policy of the pack sets."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": enforcement,
        "config_schema": config_schema,
        "remediation_steps": remediation,
    }


def resource_policy(
    *,
    name: str,
    description: str,
    remediation: str,
    checks: Mapping[str, Sequence[Check]],
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A resource policy running ``checks[resource_type]`` on each resource of those types."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        type_checks = checks.get(args.resource_type)
        if not type_checks:
            return
        problems, unknown = _run_checks(type_checks, args.props, args.get_config())
        for problem in problems:
            report(f"{args.name}: {problem}", None)
        if unknown is not None:
            raise unknown

    return ResourceValidationPolicy(
        validate=validate, **_metadata(name, description, remediation, enforcement, config_schema)
    )


def stack_policy(
    *,
    name: str,
    description: str,
    remediation: str,
    checks: Sequence[StackCheck],
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """A stack policy running every check over the whole set of resources."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        unknown: UnknownValueError | None = None
        for check in checks:
            try:
                for message, urn in check(args.resources, args.get_config()):
                    report(message, urn)
            except UnknownValueError as exc:
                unknown = unknown or exc
        if unknown is not None:
            raise unknown

    return StackValidationPolicy(
        validate=validate, **_metadata(name, description, remediation, enforcement, config_schema)
    )


# --- helpers over the whole stack ------------------------------------------------------------


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def physical_name(resource: PolicyResource, key: str = "name") -> str:
    """The resource's own name setting, falling back to its logical Pulumi name."""
    value = dig(resource.props, key)
    return value if isinstance(value, str) else resource.name


def identities(resource: PolicyResource) -> set[str]:
    """Every string another resource may use to point at this one.

    Online, a stack policy sees outputs (``id``, ``arn``...); offline it sees the recorded
    inputs, so the physical and logical names are included too.
    """
    found = {resource.name, resource.urn}
    for key in ("id", "arn", "name", "bucket", "keyId", "arnSuffix", "identifier"):
        value = dig(resource.props, key)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def refers_to(reference: Any, resource: PolicyResource) -> bool:
    """Whether ``reference`` (an id, ARN, name) designates ``resource``."""
    if not isinstance(reference, str) or not reference:
        return False
    names = identities(resource)
    if reference in names:
        return True
    # An ARN or ARN suffix ends with the resource's name after a ':' or '/' separator
    # (``arn:aws:sns:...:commsec-alerts``, ``app/commsec-web-alb/50dc6c495c0c9188``).
    tails = {n for n in names if n and not n.startswith("urn:")}
    segments = set(reference.replace(":", "/").split("/"))
    return bool(tails & segments)


@lru_cache(maxsize=512)
def is_taggable(resource_type: str) -> bool | None:
    """Whether the pulumi-aws resource ``resource_type`` accepts ``tags``; None if unknown.

    Read from the installed pulumi-aws SDK itself (the argument list of the resource's
    constructor), so the answer follows the provider version the program is built with.
    """
    package, _, rest = resource_type.partition(":")
    module, _, class_name = rest.partition(":")
    if package != "aws" or not class_name:
        return None
    module_name = module.split("/")[0]
    try:
        # Importing an SDK module warns about its deprecated resources; not ours to report.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sdk = importlib.import_module(
                "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
            )
            cls = getattr(sdk, class_name)
        return "tags" in inspect.signature(cls._internal_init).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def parent_urn(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return resource.parent.urn
    return resource.opts.parent if resource.opts is not None else None


def resolve(
    reference: Any, candidates: Sequence[PolicyResource], owner: PolicyResource
) -> PolicyResource | None:
    """The resource among ``candidates`` that ``reference`` (held by ``owner``) points at.

    An exact match on an id, ARN or name wins. Otherwise the reference is an id that only the
    cloud (or the offline engine's mock) knows, and the program's wiring decides: the sibling
    under the same component named after ``owner`` (``<owner>-lt``), or the only sibling of
    that type.
    """
    for candidate in candidates:
        if refers_to(reference, candidate):
            return candidate
    # NOTE: this fallback trusts the component layout (one component wires its own children);
    # a reference to a resource outside the component stays unresolved and is reported.
    siblings = [c for c in candidates if parent_urn(c) == parent_urn(owner)]
    named = [c for c in siblings if c.name.startswith(f"{owner.name}-")]
    if len(named) == 1:
        return named[0]
    return siblings[0] if len(siblings) == 1 else None


def must_be_true(key: str) -> Check:
    """A check that ``key`` is set to true (absent counts as not true)."""

    def check(props: Props, _config: Config) -> str | None:
        value = dig(props, key)
        return None if is_true(value) else f"{key} is {text(value)}; it must be true"

    check.__name__ = f"must_be_true_{key}"
    return check
