"""The AWS facts the pre-market checklist and the SEV-1 triage read, as plain functions.

Each takes a boto3 client (or a URL) and returns data; nothing here decides PASS or FAIL.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from ops.alb_metrics import zone_series
from ops.arc import paginate
from ops.errors import aws_errors

_HTTP_TIMEOUT_S = 5


def target_health(elbv2: Any, target_group_arns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every registered target of the groups, with its state and reason."""
    rows = []
    for arn in target_group_arns:
        with aws_errors(f"reading target health of {arn}"):
            descriptions = elbv2.describe_target_health(TargetGroupArn=arn)
        for item in descriptions["TargetHealthDescriptions"]:
            health = item.get("TargetHealth", {})
            rows.append(
                {
                    "target_group": arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn,
                    "id": item["Target"]["Id"],
                    "port": item["Target"].get("Port"),
                    "zone": item["Target"].get("AvailabilityZone"),
                    "state": health.get("State"),
                    "reason": health.get("Reason"),
                }
            )
    return rows


def lcu_reservation(elbv2: Any, lb_arn: str) -> dict[str, Any]:
    """The load balancer's LCU capacity reservation (``DescribeCapacityReservation``)."""
    with aws_errors(f"reading the capacity reservation of {lb_arn}"):
        answer = elbv2.describe_capacity_reservation(LoadBalancerArn=lb_arn)
    units = (answer.get("MinimumLoadBalancerCapacity") or {}).get("CapacityUnits")
    states = [
        {"zone": s.get("AvailabilityZone"), "state": (s.get("State") or {}).get("Code")}
        for s in answer.get("CapacityReservationState") or []
    ]
    return {"capacity_units": units, "states": states}


def lb_attribute(elbv2: Any, lb_arn: str, key: str) -> str | None:
    with aws_errors(f"reading the attributes of {lb_arn}"):
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb_arn)
    for attribute in attributes["Attributes"]:
        if attribute["Key"] == key:
            return str(attribute["Value"])
    return None


def cloudfront_distribution(cloudfront: Any, distribution_id: str) -> dict[str, Any]:
    with aws_errors(f"reading CloudFront distribution {distribution_id}"):
        distribution = cloudfront.get_distribution(Id=distribution_id)["Distribution"]
    config = distribution["DistributionConfig"]
    return {
        "status": distribution["Status"],
        "enabled": bool(config.get("Enabled")),
        "origins": [o["DomainName"] for o in config.get("Origins", {}).get("Items", [])],
    }


def http_probe(url: str, timeout_s: float = _HTTP_TIMEOUT_S) -> dict[str, Any]:
    """GET ``url``: the status code, or the reason no answer came."""
    request = urllib.request.Request(url, headers={"User-Agent": "commsec"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return {"url": url, "status": int(response.status), "error": None}
    except urllib.error.HTTPError as exc:
        return {"url": url, "status": int(exc.code), "error": None}
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"url": url, "status": None, "error": str(reason)}


def arc_state(arc: Any, resource_arns: dict[str, str]) -> dict[str, Any]:
    """Active zonal shifts on the load balancers, active autoshifts, autoshift status.

    ARC identifies the load balancers by ARN and the zones by AZ id (``use1-az1``). Every
    page of each list is read, as ``shift status`` does.
    """
    shifts = []
    managed: dict[str, Any] = {}
    for label, arn in resource_arns.items():
        with aws_errors(f"listing zonal shifts of the {label} load balancer"):
            found = paginate(arc.list_zonal_shifts, status="ACTIVE", resourceIdentifier=arn)
        shifts += [dict(item, lb=label) for item in found]
        with aws_errors(f"reading the ARC managed resource {label}"):
            resource = arc.get_managed_resource(resourceIdentifier=arn)
        managed[label] = {
            "zonal_autoshift": resource.get("zonalAutoshiftStatus"),
            "applied_weights": resource.get("appliedWeights", {}),
            "practice_runs": bool(resource.get("practiceRunConfiguration")),
        }
    with aws_errors("listing active autoshifts"):
        autoshifts = paginate(arc.list_autoshifts, status="ACTIVE")
    return {"active_shifts": shifts, "autoshifts": autoshifts, "managed": managed}


_ZONE_ERRORS = {
    "requests": ("RequestCount", "Sum"),
    "errors": ("HTTPCode_Target_5XX_Count", "Sum"),
}


def alb_errors_by_zone(
    cloudwatch: Any, lb_arn: str, zones: tuple[str, ...], now: datetime, minutes: int = 15
) -> list[dict[str, Any]]:
    """Per AZ: requests and target 5xx over the last ``minutes``, with the error rate."""
    # End on the next whole minute so the current, still-filling period is included.
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    series = zone_series(
        cloudwatch,
        {"lb": lb_arn},
        zones,
        _ZONE_ERRORS,
        start=end - timedelta(minutes=minutes),
        end=end,
    )
    rows = []
    for zone in zones:
        requests = sum(v for _, v in series[("lb", zone, "requests")])
        errors = sum(v for _, v in series[("lb", zone, "errors")])
        rate = round(100.0 * errors / requests, 2) if requests else None
        rows.append(
            {"zone": zone, "requests": requests, "errors_5xx": errors, "error_percent": rate}
        )
    return rows


def rds_events(rds: Any, instance_id: str, minutes: int = 60) -> list[dict[str, Any]]:
    with aws_errors(f"reading RDS events of {instance_id}"):
        answer = rds.describe_events(
            SourceType="db-instance", SourceIdentifier=instance_id, Duration=minutes
        )
    return [
        {
            "time": e["Date"].isoformat(),
            "message": e["Message"],
            "categories": e.get("EventCategories", []),
        }
        for e in answer.get("Events", [])
    ]


def web_alb_url(outputs: Any) -> str:
    """Base URL of the web ALB; ``COMMSEC_WEB_ALB_URL`` points it elsewhere (tests, demos)."""
    import os

    return os.environ.get("COMMSEC_WEB_ALB_URL") or f"http://{outputs.web_alb_dns_name}"


def cloudfront_url(outputs: Any) -> str:
    """Base URL of the distribution; ``COMMSEC_CLOUDFRONT_URL`` overrides it."""
    import os

    return os.environ.get("COMMSEC_CLOUDFRONT_URL") or f"https://{outputs.cloudfront_domain_name}"
