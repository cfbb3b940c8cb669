"""One place that decides the tags every taggable AWS resource carries.

The tags are passed explicitly on every resource rather than through the provider's
``default_tags``: CrossGuard sees only a resource's own inputs, so explicit tags are what the
policy pack can check, and they match what ends up on the resource in AWS.
"""

from __future__ import annotations

from infra.settings import Settings


def tags(settings: Settings, name: str, **extra: str) -> dict[str, str]:
    """``Name`` plus the environment, owner and cost-centre tags, plus any ``extra``."""
    return {"Name": name, **settings.tags, **extra}
