"""SEV-1 triage: what was found, the timeline, and the mitigations ranked by the evidence.

The findings document is assembled by the command from the readers in :mod:`ops.k8s_health`
and :mod:`ops.k8s_aws`; the functions here only judge it, so the ranking rules are tested on
plain data.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# ARC's rule of thumb (and the runbook's decision tree): errors above 5% of requests from one
# zone justify a shift at once; below 1% elsewhere shows the problem is zonal.
ZONAL_ERROR_PERCENT = 5.0
HEALTHY_ZONE_PERCENT = 1.0
_RDS_TROUBLE = re.compile(r"failover|reboot|unavailable|storage|recover|shutdown", re.I)
INCIDENT_ID = re.compile(r"^INC-\d{4}-\d{4}-\d{3}$")


def _zone_with_alb_errors(findings: dict[str, Any]) -> tuple[str, str] | None:
    for lb in ("web", "app"):
        rows = findings.get("alb_errors", {}).get(lb)
        if not isinstance(rows, list):
            continue
        bad = [r for r in rows if (r["error_percent"] or 0) > ZONAL_ERROR_PERCENT]
        good = [r for r in rows if (r["error_percent"] or 0) <= HEALTHY_ZONE_PERCENT]
        if len(bad) == 1 and len(good) == len(rows) - 1:
            row = bad[0]
            return row["zone"], (
                f"{lb} ALB: {row['error_percent']}% 5xx in {row['zone']} "
                f"({row['errors_5xx']:.0f} of {row['requests']:.0f} requests), other zones healthy"
            )
    return None


def _zone_with_bad_nodes(findings: dict[str, Any]) -> tuple[str, str] | None:
    nodes = findings.get("nodes")
    if not isinstance(nodes, list):
        return None
    bad = [n for n in nodes if not n["ready"] or n["pressure"]]
    zones = {n["zone"] for n in bad}
    if bad and len(zones) == 1:
        zone = zones.pop()
        return zone, f"{len(bad)} node(s) NotReady or under pressure, all in {zone}"
    return None


def _crashing_apps(findings: dict[str, Any]) -> dict[str, int]:
    pods = findings.get("unhealthy_pods")
    if not isinstance(pods, list):
        return {}
    return dict(Counter(p["app"] for p in pods if p.get("app")))


def rank_mitigations(findings: dict[str, Any], az_ids: dict[str, str]) -> list[dict[str, Any]]:
    """Mitigation options, best-supported first, each with the evidence behind it."""
    options: list[dict[str, Any]] = []
    shifts = findings.get("zonal_shifts", {})
    active = shifts.get("active_shifts", []) if isinstance(shifts, dict) else []
    for finder, score in ((_zone_with_alb_errors, 90), (_zone_with_bad_nodes, 70)):
        found = finder(findings)
        if found:
            zone, why = found
            az_id = az_ids.get(zone, zone)
            already = [s for s in active if s.get("awayFrom") == az_id]
            options.append(
                {
                    "score": score - (50 if already else 0),
                    "action": f"shift traffic away from {zone} ({az_id})"
                    + (" - a shift away from it is already active" if already else ""),
                    "commands": [f"commsec shift start --az {az_id} --lb all --duration 1h"],
                    "evidence": why,
                }
            )
            break
    for app, count in sorted(_crashing_apps(findings).items()):
        options.append(
            {
                "score": 60 + min(count, 5),
                "action": f"restart or roll back {app} ({count} unhealthy pod(s))",
                "commands": [
                    f"commsec logs {app} --since 15m",
                    f"commsec restart deployment {app}",
                ],
                "evidence": ", ".join(
                    f"{p['name']}: {p['problem']}"
                    for p in findings["unhealthy_pods"]
                    if p.get("app") == app
                ),
            }
        )
    rds = findings.get("rds_events")
    trouble = [e for e in rds if _RDS_TROUBLE.search(e["message"])] if isinstance(rds, list) else []
    if trouble:
        options.append(
            {
                "score": 65,
                "action": "check the database (recent RDS events)",
                "commands": ["commsec db check", "commsec db perf"],
                "evidence": "; ".join(f"{e['time']}: {e['message']}" for e in trouble[:3]),
            }
        )
    health = findings.get("health_endpoint", {})
    status = health.get("status") if isinstance(health, dict) else None
    # A dead health endpoint with nothing else found points at the path in front of the pods.
    if (status is None or status >= 500) and not options:
        options.append(
            {
                "score": 40,
                "action": "investigate the network path (ALB, security groups, VPC flow logs)",
                "commands": ["commsec premarket"],
                "evidence": f"health endpoint {health.get('url')}: "
                + (f"HTTP {status}" if status else str(health.get("error"))),
            }
        )
    if not options:
        options.append(
            {
                "score": 0,
                "action": "no cause found in these signals: escalate and widen the search",
                "commands": [],
                "evidence": "health endpoint answers, pods healthy, no zonal or database signal",
            }
        )
    options.sort(key=lambda o: o["score"], reverse=True)
    return [dict(o, rank=i + 1) for i, o in enumerate(options)]


def timeline(findings: dict[str, Any], started: str) -> list[dict[str, str]]:
    """Every timestamped signal of the bundle, oldest first."""
    entries = [{"time": started, "source": "commsec", "event": "SEV-1 triage started"}]
    events = findings.get("events")
    for event in events if isinstance(events, list) else []:
        entries.append(
            {
                "time": event["time"],
                "source": "kubernetes",
                "event": f"{event['type']} {event['reason']} {event['object']}: {event['message']}",
            }
        )
    rds = findings.get("rds_events")
    for event in rds if isinstance(rds, list) else []:
        entries.append({"time": event["time"], "source": "rds", "event": event["message"]})
    shifts = findings.get("zonal_shifts")
    for shift in shifts.get("active_shifts", []) if isinstance(shifts, dict) else []:
        entries.append(
            {
                "time": str(shift.get("startTime")),
                "source": "arc",
                "event": f"zonal shift on {shift['lb']} away from {shift['awayFrom']}",
            }
        )
    return sorted(entries, key=lambda e: e["time"])


def report_markdown(incident_id: str, triage: dict[str, Any]) -> str:
    """The post-incident review, pre-filled from a triage bundle."""
    rows = "\n".join(
        f"| {e['time'][:16].replace('T', ' ')} | {e['source']}: {e['event']} |"
        for e in triage["timeline"]
    )
    found = "\n".join(
        f"{o['rank']}. {o['action']} - {o['evidence']}" for o in triage["mitigations"]
    )
    first = triage["timeline"][0]["time"] if triage["timeline"] else triage["started"]
    return f"""## Incident Report {incident_id}

### Summary
- **Incident ID**: {incident_id}
- **Severity**: SEV-1
- **Detected**: {first} (first signal in the triage bundle)
- **Declared**: {triage["started"]} (triage bundle written)
- **Duration**: to be completed when service is restored
- **Impact**: to be completed

### Timeline
| Time (UTC) | Event |
|------------|-------|
{rows}
| | Mitigation started |
| | Service restored |

### Findings at triage
{found}

### Root Cause
To be completed.

### Mitigation
To be completed: which of the options above was taken, when, and its effect.

### Action Items
| Item | Owner | Due Date |
|------|-------|----------|
| | | |
"""
