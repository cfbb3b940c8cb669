"""``commsec premarket``: the 9:00 Sydney checklist, one row per check."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import CommsecError, InputError
from ops.report import Report, table

CHECKLIST_TIME = time(9, 0)
MAX_NODE_PERCENT = 80.0
HEALTH_PATH = "/api/health"

Check = tuple[str, str, Callable[[], tuple[bool, str]]]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    add_kube_arguments(parser)


def market_note(now: datetime) -> dict[str, Any]:
    """Where the ASX day stands in Sydney, and what that means for the checklist."""
    from infra.market import market_status

    status = market_status(now)
    local = status.sydney_time
    note = f"Sydney time {local:%a %d %b %H:%M %Z}"
    if status.phase == "closed":
        note += f": {status.reason}, the market does not open today"
    elif status.phase == "pre-open" and local.time() < CHECKLIST_TIME:
        note += ": before the 9:00 checklist time; re-run after 9:00 for the final check"
    elif status.phase == "pre-open":
        note += ": the market opens at 10:00"
    elif status.phase == "open":
        note += ": the market is already open"
    else:
        note += ": after the close"
    next_open = status.next_open_utc.isoformat() if status.next_open_utc else None
    return {
        "phase": status.phase,
        "sydney_time": local.isoformat(),
        "note": note,
        "next_open_utc": next_open,
    }


def _pods_check(state: Any, namespace: str) -> tuple[bool, str]:
    from ops import k8s_health as h

    rows = [r for r in h.pod_rows(state) if r["phase"] != "Succeeded"]
    bad = [r for r in rows if r["problem"]]
    missing = h.workload_problems(state, namespace)
    actual = f"{len(rows) - len(bad)}/{len(rows)} ready"
    if bad:
        actual += ": " + ", ".join(f"{r['name']} ({r['problem']})" for r in bad[:3])
    if missing:
        actual += "; " + "; ".join(missing)
    return not bad and not missing and bool(rows), actual


def _nodes_check(state: Any) -> tuple[bool, str]:
    from ops import k8s_health as h

    rows = h.node_rows(state)
    cpu = [r["cpu_percent"] for r in rows if r["cpu_percent"] is not None]
    mem = [r["memory_percent"] for r in rows if r["memory_percent"] is not None]
    if not cpu or not mem:
        return False, "no node metrics (is metrics-server running?)"
    busiest = max(rows, key=lambda r: max(r["cpu_percent"] or 0, r["memory_percent"] or 0))
    actual = f"max CPU {max(cpu):.0f}%, max memory {max(mem):.0f}% ({busiest['name']})"
    return max(cpu) < MAX_NODE_PERCENT and max(mem) < MAX_NODE_PERCENT, actual


def _db_check(ctx: Context) -> tuple[bool, str]:
    from ops import pg

    target = pg.resolve_db(ctx)
    with pg.connect(target) as conn:
        result = pg.check(conn)
    tls = "TLS" if result["tls"] else "no TLS"
    return result["select_1"] == 1, f"SELECT 1 ok on PostgreSQL {result['server_version']} ({tls})"


def _targets_check(ctx: Context, arns: tuple[str, ...]) -> tuple[bool, str]:
    from ops import k8s_aws

    rows = k8s_aws.target_health(ctx.aws("elbv2"), arns)
    bad = [r for r in rows if r["state"] != "healthy"]
    actual = f"{len(rows) - len(bad)}/{len(rows)} healthy"
    if bad:
        actual += ": " + ", ".join(f"{r['id']} {r['state']} ({r['reason']})" for r in bad[:3])
    return bool(rows) and not bad, actual


def _cloudfront_check(ctx: Context) -> tuple[bool, str]:
    from ops import k8s_aws

    outputs = ctx.outputs()
    dist = k8s_aws.cloudfront_distribution(
        ctx.aws("cloudfront"), outputs.cloudfront_distribution_id
    )
    probe = k8s_aws.http_probe(k8s_aws.cloudfront_url(outputs) + HEALTH_PATH)
    answering = probe["status"] is not None and probe["status"] < 500
    origin = f"origin HTTP {probe['status']}" if probe["status"] else f"origin: {probe['error']}"
    ok = dist["status"] == "Deployed" and dist["enabled"] and answering
    return ok, f"{dist['status']}, {'enabled' if dist['enabled'] else 'DISABLED'}, {origin}"


def _zonal_shift_check(ctx: Context) -> tuple[bool, str]:
    from ops import k8s_aws

    outputs = ctx.outputs()
    arns = outputs.alb_arns("all")
    disabled = [
        label
        for label, arn in arns.items()
        if k8s_aws.lb_attribute(ctx.aws("elbv2"), arn, "zonal_shift.config.enabled") != "true"
    ]
    state = k8s_aws.arc_state(ctx.aws("arc-zonal-shift"), arns)
    problems = [f"zonal shift disabled on {label}" for label in disabled]
    problems += [
        f"active shift on {s['lb']} away from {s['awayFrom']} ({s.get('comment') or 'no comment'})"
        for s in state["active_shifts"]
    ]
    problems += [f"autoshift away from {a['awayFrom']} in progress" for a in state["autoshifts"]]
    autoshift = ", ".join(f"{k} {v['zonal_autoshift']}" for k, v in state["managed"].items())
    return not problems, "; ".join(problems) or f"enabled on web and app, no shifts ({autoshift})"


def _lcu_check(ctx: Context) -> tuple[bool, str]:
    from ops import k8s_aws

    reservation = k8s_aws.lcu_reservation(ctx.aws("elbv2"), ctx.outputs().web_alb_arn)
    units = reservation["capacity_units"]
    states = {s["state"] for s in reservation["states"]}
    if not units:
        return False, "no minimum capacity reserved"
    ok = states == {"provisioned"}
    return ok, f"{units} LCUs reserved, state {', '.join(sorted(str(s) for s in states)) or '-'}"


def _run(check: Callable[[], tuple[bool, str]]) -> tuple[bool, str]:
    try:
        return check()
    except CommsecError as exc:
        return False, f"error: {exc.render()}"


def run(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_health
    from ops.kube import run_in_namespace, target_from_args

    now = ctx.now()
    market = market_note(now)
    outputs = ctx.outputs()

    def cluster() -> tuple[Any, str]:
        target = target_from_args(args, ctx)
        state = run_in_namespace(
            target,
            lambda kube: k8s_health.gather_cluster_state(
                kube, target.namespace, with_endpoints=False
            ),
        )
        return state, target.namespace

    with ThreadPoolExecutor(max_workers=8) as pool:
        state_future = pool.submit(cluster)
        checks: list[Check] = [
            ("Database reachable", "SELECT 1 answers", lambda: _db_check(ctx)),
            (
                "Web ALB targets",
                "all healthy",
                lambda: _targets_check(ctx, outputs.web_target_group_arns),
            ),
            (
                "App ALB targets",
                "all healthy",
                lambda: _targets_check(ctx, outputs.app_target_group_arns),
            ),
            ("CloudFront", "Deployed, enabled, origin answering", lambda: _cloudfront_check(ctx)),
            ("Zonal shift", "enabled, no active shift", lambda: _zonal_shift_check(ctx)),
            ("LCU reservation", "capacity reserved, provisioned", lambda: _lcu_check(ctx)),
        ]
        futures = {name: pool.submit(_run, fn) for name, _e, fn in checks}
        try:
            state, namespace = state_future.result()
            cluster_rows = [
                ("Pods ready", "all pods ready", _run(lambda: _pods_check(state, namespace))),
                (
                    "Node capacity",
                    f"CPU and memory < {MAX_NODE_PERCENT:.0f}%",
                    _run(lambda: _nodes_check(state)),
                ),
            ]
        except InputError:
            # A bad --namespace or kubeconfig is the operator's to fix, not a failed check.
            raise
        except CommsecError as exc:
            failed = (False, f"error: {exc.render()}")
            cluster_rows = [
                ("Pods ready", "all pods ready", failed),
                ("Node capacity", f"CPU and memory < {MAX_NODE_PERCENT:.0f}%", failed),
            ]
        rows = cluster_rows + [(name, exp, futures[name].result()) for name, exp, _f in checks]

    results = [
        {"check": name, "expected": expected, "actual": actual, "result": "PASS" if ok else "FAIL"}
        for name, expected, (ok, actual) in rows
    ]
    ok = all(r["result"] == "PASS" for r in results)
    text = (
        market["note"]
        + "\n\n"
        + table(
            ["CHECK", "EXPECTED", "ACTUAL", "RESULT"],
            [[r["check"], r["expected"], r["actual"], r["result"]] for r in results],
        )
    )
    failing = [r["check"] for r in results if r["result"] == "FAIL"]
    text += "\n\n" + ("All pre-market checks passed" if ok else f"FAILED: {', '.join(failing)}")
    return Report(title="premarket", data={"market": market, "checks": results}, text=text, ok=ok)


COMMANDS = {"premarket": Command(_add_arguments, run)}
