"""Per-AZ Application Load Balancer metrics from CloudWatch, as plain functions.

``shift assess`` and ``incident sev1`` both read the same thing: one metric of
one ALB in one Availability Zone, a minute at a time. The query is built and paged here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ops.errors import aws_errors

NAMESPACE = "AWS/ApplicationELB"
PERIOD_S = 60

Point = tuple[datetime, float]


def lb_dimension(arn: str) -> str:
    """The CloudWatch ``LoadBalancer`` dimension of an ALB: ``app/NAME/ID`` from its ARN."""
    return arn.split(":loadbalancer/", 1)[-1]


def zone_series(
    cloudwatch: Any,
    lb_arns: Mapping[str, str],
    zones: Sequence[str],
    metrics: Mapping[str, tuple[str, str]],
    *,
    start: datetime,
    end: datetime,
) -> dict[tuple[str, str, str], list[Point]]:
    """``(label, zone, key) -> [(time, value)]`` for every ALB, zone and metric asked for.

    ``lb_arns`` maps a label (``web``) to the ALB's ARN; ``metrics`` maps a key of the
    caller's choosing to a CloudWatch ``(MetricName, Stat)``. A series with no data is an
    empty list, never missing.
    """
    keys: dict[str, tuple[str, str, str]] = {}
    queries = []
    for lb_index, (label, arn) in enumerate(lb_arns.items()):
        for zone_index, zone in enumerate(zones):
            for metric_index, (key, (metric, stat)) in enumerate(metrics.items()):
                # Query ids must start with a lower-case letter and be unique in the request.
                qid = f"q{lb_index}_{zone_index}_{metric_index}"
                keys[qid] = (label, zone, key)
                queries.append(_query(qid, arn, zone, metric, stat))
    series: dict[tuple[str, str, str], list[Point]] = {key: [] for key in keys.values()}
    for result in _results(cloudwatch, queries, start=start, end=end):
        points = series[keys[result["Id"]]]
        points += list(zip(result["Timestamps"], result["Values"], strict=True))
    return series


def _query(qid: str, arn: str, zone: str, metric: str, stat: str) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": lb_dimension(arn)},
                    {"Name": "AvailabilityZone", "Value": zone},
                ],
            },
            "Period": PERIOD_S,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def _results(
    cloudwatch: Any, queries: list[dict[str, Any]], *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    # GetMetricData pages by data points, so a long window or many zones spans pages; the
    # paginator refuses a token that repeats instead of looping on it.
    with aws_errors("reading the ALB metrics from CloudWatch"):
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end
        )
        return [result for page in pages for result in page["MetricDataResults"]]
