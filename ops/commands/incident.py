"""``commsec incident sev1`` (triage bundle) and ``commsec incident report`` (review)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import CommsecError, InputError
from ops.report import Report, table

HEALTH_PATH = "/api/health"
EVENT_WINDOW = timedelta(hours=1)
TRIAGE_FILE = "triage.json"


def _add_sev1_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="folder for the bundle (default: ./incident-<UTC timestamp>)",
    )
    add_kube_arguments(parser)


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", required=True, metavar="ID", help="incident id, INC-YYYY-MMDD-NNN")
    parser.add_argument(
        "--bundle",
        metavar="DIR",
        type=Path,
        help="triage bundle folder (default: the newest ./incident-* folder)",
    )
    parser.add_argument("--out", metavar="FILE", type=Path, help="report file (default: ID.md)")


def _guarded(read: Callable[[], Any]) -> Any:
    """A triage read that records its failure instead of stopping the triage."""
    try:
        return read()
    except CommsecError as exc:
        return {"error": exc.render()}


def _gather(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from ops import k8s_aws, k8s_health
    from ops.kube import run_in_namespace, target_from_args

    outputs = ctx.outputs()
    now = ctx.now()

    def cluster() -> dict[str, Any]:
        target = target_from_args(args, ctx)
        state = run_in_namespace(
            target, lambda k: k8s_health.gather_cluster_state(k, target.namespace)
        )
        pods = k8s_health.pod_rows(state)
        return {
            "pods": pods,
            "unhealthy_pods": [p for p in pods if p["problem"]],
            "nodes": k8s_health.node_rows(state),
            "pods_per_zone": k8s_health.pods_per_zone(pods),
            "events": k8s_health.recent_events(state, now, EVENT_WINDOW, warnings_only=False),
        }

    reads: dict[str, Callable[[], Any]] = {
        "health_endpoint": lambda: k8s_aws.http_probe(k8s_aws.web_alb_url(outputs) + HEALTH_PATH),
        "alb_errors": lambda: {
            lb: _guarded(
                partial(
                    k8s_aws.alb_errors_by_zone,
                    ctx.aws("cloudwatch"),
                    arn,
                    outputs.availability_zones,
                    now,
                )
            )
            for lb, arn in outputs.alb_arns("all").items()
        },
        "rds_events": lambda: k8s_aws.rds_events(ctx.aws("rds"), outputs.db_instance_identifier),
        "zonal_shifts": lambda: k8s_aws.arc_state(
            ctx.aws("arc-zonal-shift"), outputs.alb_arns("all")
        ),
    }
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(_guarded, read) for name, read in reads.items()}
        cluster_future = pool.submit(_guarded, cluster)
        findings = {name: future.result() for name, future in futures.items()}
        found = cluster_future.result()
    if "error" in found:
        findings.update({key: found for key in ("pods", "unhealthy_pods", "nodes", "events")})
        findings["pods_per_zone"] = found
    else:
        findings.update(found)
    return findings


def _summary(triage: dict[str, Any]) -> str:
    f = triage["findings"]
    health = f["health_endpoint"]
    lines = [f"SEV-1 triage at {triage['started']}, bundle {triage['bundle']}"]
    if "status" in health:
        answer = f"HTTP {health['status']}" if health["status"] else health["error"]
        lines.append(f"Health endpoint {health['url']}: {answer}")
    else:
        lines.append(f"Health endpoint: {health['error']}")
    if isinstance(f["unhealthy_pods"], list):
        lines.append(f"Unhealthy pods: {len(f['unhealthy_pods'])} of {len(f['pods'])}")
        zones = ", ".join(f"{z}: {c}" for z, c in f["pods_per_zone"].items())
        lines.append(f"Pods per zone: {zones}")
        bad_nodes = [n["name"] for n in f["nodes"] if not n["ready"] or n["pressure"]]
        lines.append(f"Nodes not ready or under pressure: {', '.join(bad_nodes) or 'none'}")
    else:
        lines.append(f"Cluster: {f['pods']['error']}")
    for lb, rows in f["alb_errors"].items():
        if isinstance(rows, list):
            shown = ", ".join(f"{r['zone']} {r['error_percent'] or 0}%" for r in rows)
            lines.append(f"{lb} ALB 5xx by zone (15 min): {shown}")
    if isinstance(f["rds_events"], list):
        lines.append(f"RDS events (1 h): {len(f['rds_events'])}")
    shifts = f["zonal_shifts"]
    if isinstance(shifts, dict) and "active_shifts" in shifts:
        active = ", ".join(f"{s['lb']} away from {s['awayFrom']}" for s in shifts["active_shifts"])
        lines.append(f"Active zonal shifts: {active or 'none'}")
    lines.append("\nMitigation options, best supported first")
    lines.append(
        table(
            ["#", "ACTION", "RUN", "EVIDENCE"],
            [
                [o["rank"], o["action"], "; ".join(o["commands"]) or "-", o["evidence"][:90]]
                for o in triage["mitigations"]
            ],
        )
    )
    return "\n".join(lines)


def sev1(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_incident

    outputs = ctx.outputs()
    started = ctx.now()
    bundle = args.out or Path(f"incident-{started:%Y%m%dT%H%M%SZ}")
    try:
        bundle.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {bundle}: cannot create the folder ({exc.strerror})") from None
    findings = _gather(args, ctx)
    az_ids = dict(zip(outputs.availability_zones, outputs.availability_zone_ids, strict=True))
    triage = {
        "started": started.isoformat(),
        "bundle": str(bundle),
        "findings": findings,
        "mitigations": k8s_incident.rank_mitigations(findings, az_ids),
        "timeline": k8s_incident.timeline(findings, started.isoformat()),
    }
    (bundle / TRIAGE_FILE).write_text(json.dumps(triage, indent=2, default=str), encoding="utf-8")
    text = _summary(triage)
    (bundle / "summary.txt").write_text(text + "\n", encoding="utf-8")
    return Report(title="incident sev1", data=triage, text=text)


def _newest_bundle() -> Path:
    bundles = sorted(p for p in Path.cwd().glob("incident-*") if (p / TRIAGE_FILE).is_file())
    if not bundles:
        raise InputError(
            "no triage bundle found in the current folder",
            hint="pass --bundle DIR (written by 'commsec incident sev1')",
        )
    return bundles[-1]


def report(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_incident

    if not k8s_incident.INCIDENT_ID.match(args.id):
        raise InputError(
            f"--id {args.id!r} is not an incident id",
            hint="use INC-YYYY-MMDD-NNN, e.g. INC-2026-1204-001",
        )
    bundle = args.bundle or _newest_bundle()
    try:
        triage = json.loads((bundle / TRIAGE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"--bundle {bundle} has no {TRIAGE_FILE}",
            hint="pass a folder written by 'incident sev1'",
        ) from None
    except ValueError:
        raise InputError(f"{bundle / TRIAGE_FILE} is not valid JSON") from None
    out = args.out or Path(f"{args.id}.md")
    out.write_text(k8s_incident.report_markdown(args.id, triage), encoding="utf-8")
    return Report(
        title="incident report",
        data={
            "id": args.id,
            "bundle": str(bundle),
            "report": str(out),
            "timeline_entries": len(triage["timeline"]),
        },
        text=f"Wrote {out} with {len(triage['timeline'])} timeline entries from {bundle}",
    )


COMMANDS = {
    "sev1": Command(_add_sev1_arguments, sev1),
    "report": Command(_add_report_arguments, report, needs_outputs=False),
}
