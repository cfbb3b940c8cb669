"""Zonal autoshift with practice runs for one load balancer.

The practice-run windows come from the market calendar: every stretch of the week that is
outside the Sydney busy period under both AEST and AEDT, cut at midnight UTC because ARC
rejects windows that cross it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import market


@dataclass
class ZonalAutoshiftArgs:
    resource_arn: pulumi.Input[str]
    # Alarms ARC watches during a practice run; one is required before autoshift is enabled.
    outcome_alarm_arns: list[pulumi.Input[str]]


class ZonalAutoshift(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ZonalAutoshiftArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("commsec:autoshift:ZonalAutoshift", name, None, opts)
        if not args.outcome_alarm_arns:
            raise ValueError(f"{name}: zonal autoshift needs at least one outcome alarm")
        self.allowed_windows = market.arc_allowed_windows()
        self.configuration = aws.arczonalshift.ZonalAutoshiftConfiguration(
            f"{name}-config",
            resource_arn=args.resource_arn,
            zonal_autoshift_status="ENABLED",
            allowed_windows=self.allowed_windows,
            outcome_alarms=[
                aws.arczonalshift.ZonalAutoshiftConfigurationOutcomeAlarmArgs(
                    alarm_identifier=arn, type="CLOUDWATCH"
                )
                for arn in args.outcome_alarm_arns
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"allowedWindows": self.allowed_windows})
