"""Every taggable AWS resource carries the environment, owner and cost-centre tags."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policies.rules._base import MISSING, dig, is_taggable

DEFAULT_REQUIRED_TAGS = ("environment", "owner", "cost-centre")


def _required(config: Any) -> list[str]:
    configured = dig(config, "requiredTags")
    if configured is MISSING:
        return list(DEFAULT_REQUIRED_TAGS)
    return [str(tag) for tag in configured]


def validate_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    taggable = is_taggable(args.resource_type)
    # NOTE: when the SDK cannot say (a type pulumi-aws does not ship), a resource that passes
    # tags is still checked; one that passes none cannot be judged and is left alone.
    if taggable is False or (taggable is None and "tags" not in args.props):
        return
    tags = dig(args.props, "tags")
    missing = [
        key
        for key in _required(args.get_config())
        if not isinstance(dig(tags, key), str) or not dig(tags, key)
    ]
    if missing:
        report(f"{args.name}: missing tag(s) {', '.join(missing)}", None)


POLICIES = [
    ResourceValidationPolicy(
        name="required-tags",
        description=(
            "Every taggable AWS resource carries the environment, owner and cost-centre tags, "
            "which cost reports and incident ownership are built on."
        ),
        validate=validate_tags,
        enforcement_level=EnforcementLevel.MANDATORY,
        remediation_steps="Pass tags=infra.tags.tags(settings, name) to the resource.",
        config_schema=PolicyConfigSchema(
            properties={
                "requiredTags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(DEFAULT_REQUIRED_TAGS),
                }
            }
        ),
    ),
]
