"""The runbook's zonal-shift decision tree, from per-AZ ALB metrics and AWS Health.

The tree: is one AZ's error rate or latency elevated? If its errors exceed 5% of requests,
shift now. Otherwise watch: a worsening trend over the window means shift now; an open AWS
Health event for that AZ means shift now and wait for AWS; neither means investigate the
application first. No elevated AZ means nothing to do, and several elevated AZs are not a
zonal problem a shift can fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.alb_metrics import zone_series
from ops.errors import CommsecError, aws_errors
from ops.outputs import StackOutputs
from ops.report import table

SHIFT_ERROR_RATE = 0.05  # the runbook: errors on more than 5% of requests
# An AZ counts as elevated when it is clearly worse than its siblings, not merely busy:
# at least 1% errors and twice the worst other AZ, or twice the others' latency.
ELEVATED_MIN_RATE = 0.01
ELEVATED_FACTOR = 2.0
LATENCY_MIN_S = 0.2
WORSENING_FACTOR = 1.2

_METRICS = {
    "errors": ("HTTPCode_Target_5XX_Count", "Sum"),
    "elbErrors": ("HTTPCode_ELB_5XX_Count", "Sum"),
    "requests": ("RequestCount", "Sum"),
    "latency": ("TargetResponseTime", "Average"),
}


def zone_metrics(
    cloudwatch: Any, outputs: StackOutputs, *, end: datetime, minutes: int
) -> list[dict[str, Any]]:
    """Per ALB and AZ: requests, 5XX, error rate and latency, over each half of the window."""
    start = end - timedelta(minutes=minutes)
    middle = end - timedelta(minutes=minutes / 2)
    series = zone_series(
        cloudwatch,
        outputs.alb_arns("all"),
        outputs.availability_zones,
        _METRICS,
        start=start,
        end=end,
    )
    rows = []
    for tier in outputs.alb_arns("all"):
        for az, az_id in zip(
            outputs.availability_zones, outputs.availability_zone_ids, strict=True
        ):
            row: dict[str, Any] = {"lb": tier, "az": az, "azId": az_id}
            for half, (lo, hi) in (("early", (start, middle)), ("late", (middle, end))):
                sums = {
                    key: [v for t, v in series.get((tier, az, key), []) if lo <= t < hi]
                    for key in _METRICS
                }
                requests = sum(sums["requests"])
                errors = sum(sums["errors"]) + sum(sums["elbErrors"])
                row[f"{half}Rate"] = errors / requests if requests else 0.0
            values = {key: series.get((tier, az, key), []) for key in _METRICS}
            requests = sum(v for _, v in values["requests"])
            errors = sum(v for _, v in values["errors"]) + sum(v for _, v in values["elbErrors"])
            latencies = [v for _, v in values["latency"]]
            row.update(
                requests=int(requests),
                errors=int(errors),
                errorRate=errors / requests if requests else 0.0,
                latency=sum(latencies) / len(latencies) if latencies else None,
            )
            rows.append(row)
    return rows


def health_events(ctx: Any, outputs: StackOutputs) -> dict[str, Any]:
    """Open AWS Health events for EC2/ELB in the region; unavailable is not an error.

    The Health API needs a Business or Enterprise support plan; without one (or without the
    endpoint) the decision tree goes on without it and says so.
    """
    try:
        with aws_errors("reading AWS Health events"):
            client = ctx.aws("health")
            page = client.describe_events(
                filter={
                    "services": ["EC2", "ELASTICLOADBALANCING"],
                    "regions": [outputs.region],
                    "eventStatusCodes": ["open"],
                }
            )
    except CommsecError as error:
        return {"available": False, "reason": error.message, "events": []}
    events = [
        {
            "service": e.get("service"),
            "eventTypeCode": e.get("eventTypeCode"),
            "availabilityZone": e.get("availabilityZone"),
            "startTime": e.get("startTime"),
        }
        for e in page.get("events", [])
    ]
    return {"available": True, "reason": None, "events": events}


@dataclass
class Verdict:
    action: str  # "shift now", "watch", "nothing"
    reason: str
    az: str | None = None
    az_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason, "az": self.az, "azId": self.az_id}


def _elevated(row: dict[str, Any], siblings: list[dict[str, Any]]) -> bool:
    worst_other = max((s["errorRate"] for s in siblings), default=0.0)
    if row["errorRate"] >= ELEVATED_MIN_RATE and row["errorRate"] >= ELEVATED_FACTOR * worst_other:
        return True
    others = [s["latency"] for s in siblings if s["latency"] is not None]
    if row["latency"] is None or not others:
        return False
    typical = sorted(others)[len(others) // 2]
    return row["latency"] >= LATENCY_MIN_S and row["latency"] >= ELEVATED_FACTOR * typical


def recommend(rows: list[dict[str, Any]], health: dict[str, Any]) -> Verdict:
    elevated = [
        r
        for r in rows
        if _elevated(r, [s for s in rows if s["lb"] == r["lb"] and s["az"] != r["az"]])
    ]
    zones = sorted({r["az"] for r in elevated})
    if not zones:
        return Verdict("nothing", "no AZ has elevated errors or latency")
    if len(zones) > 1:
        return Verdict(
            "watch",
            f"{', '.join(zones)} are all elevated: not a single-AZ problem a zonal shift fixes",
        )
    az = zones[0]
    worst = max(elevated, key=lambda r: r["errorRate"])
    az_id = worst["azId"]
    label = f"{az} ({az_id})"
    if worst["errorRate"] > SHIFT_ERROR_RATE:
        return Verdict(
            "shift now",
            f"{worst['errorRate']:.1%} of {worst['lb']} requests fail in {label} (> 5%)",
            az,
            az_id,
        )
    if any(e.get("availabilityZone") in (az, az_id) for e in health["events"]):
        return Verdict("shift now", f"open AWS Health event in {label}", az, az_id)
    if worst["lateRate"] > WORSENING_FACTOR * worst["earlyRate"] and worst["lateRate"] > 0:
        return Verdict(
            "shift now",
            f"{label} is worsening: {worst['earlyRate']:.1%} -> {worst['lateRate']:.1%} errors",
            az,
            az_id,
        )
    hint = "no AWS Health event" if health["available"] else "AWS Health unavailable"
    return Verdict(
        "watch",
        f"{label} is elevated but below 5% and not worsening ({hint}): monitor for 5 minutes "
        "and investigate the application logs",
        az,
        az_id,
    )


def render(verdict: Verdict, rows: list[dict[str, Any]], health: dict[str, Any]) -> str:
    shown = [
        [
            r["lb"],
            r["az"],
            r["azId"],
            r["requests"],
            r["errors"],
            f"{r['errorRate']:.2%}",
            "-" if r["latency"] is None else f"{r['latency'] * 1000:.0f} ms",
        ]
        for r in rows
    ]
    lines = [table(["LB", "AZ", "AZ ID", "REQUESTS", "5XX", "5XX RATE", "LATENCY"], shown), ""]
    if health["available"]:
        lines.append(f"AWS Health: {len(health['events'])} open EC2/ELB event(s)")
    else:
        lines.append(f"AWS Health: unavailable ({health['reason']})")
    lines.append(f"Recommendation: {verdict.action.upper()}: {verdict.reason}")
    return "\n".join(lines)
