"""``commsec db check`` and ``commsec db perf``."""

from __future__ import annotations

import argparse
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import CommsecError
from ops.report import Report, table

# More rows than a terminal or a ticket can use; pg_stat_statements keeps 5000 by default.
MAX_TOP = 1000


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--require-tls", action="store_true", help="fail the check when the session is not TLS"
    )


def _add_perf_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments, int_in_range

    parser.add_argument(
        "--top",
        type=int_in_range("--top", 1, MAX_TOP, rule=f"between 1 and {MAX_TOP} statements"),
        default=10,
        metavar="N",
        help=f"statements to show (1..{MAX_TOP})",
    )
    parser.add_argument(
        "--no-pool", action="store_true", help="skip the trading service's pool metrics"
    )
    add_kube_arguments(parser)


def check(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import pg

    target = pg.resolve_db(ctx)
    with pg.connect(target) as conn:
        result = pg.check(conn)
    result["target"] = target.describe()
    ok = result["select_1"] == 1 and (result["tls"] or not args.require_tls)
    tls = f"TLS {result['tls_version']} ({result['tls_cipher']})" if result["tls"] else "no TLS"
    text = (
        f"Database {target.describe()}\n"
        f"SELECT 1: {'ok' if result['select_1'] == 1 else 'FAILED'}\n"
        f"Server version: PostgreSQL {result['server_version']}\n"
        f"Session: {tls}"
    )
    if args.require_tls and not result["tls"]:
        text += "\nFAIL: the session is not encrypted and --require-tls was given"
    return Report(title="db check", data=result, text=text, ok=ok)


def _pool(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    if args.no_pool:
        return {"available": False, "reason": "skipped (--no-pool)"}
    from ops import k8s_workloads as w
    from ops.kube import run_in_namespace, target_from_args

    try:
        target = target_from_args(args, ctx)
        values = run_in_namespace(target, lambda kube: w.pool_metrics(kube, target.namespace))
    except CommsecError as exc:
        return {"available": False, "reason": exc.render()}
    return {"available": True, **values}


def perf(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import pg

    target = pg.resolve_db(ctx)
    with pg.connect(target) as conn:
        doc: dict[str, Any] = {
            "target": target.describe(),
            "max_connections": pg.connection_limit(conn),
            "connections": pg.connections_by_state(conn),
            "statements": pg.top_statements(conn, args.top),
            "tables": pg.table_sizes(conn),
        }
    doc["pool"] = _pool(args, ctx)
    warnings = [doc["statements"]["hint"]] if doc["statements"].get("hint") else []
    return Report(title="db perf", data=doc, text=_render_perf(doc), warnings=warnings)


def _render_perf(doc: dict[str, Any]) -> str:
    parts = [f"Database {doc['target']}"]
    used = sum(doc["connections"].values())
    states = ", ".join(f"{state} {count}" for state, count in doc["connections"].items())
    parts.append(f"Connections: {used} of {doc['max_connections']} ({states})")
    statements = doc["statements"]
    if statements["available"]:
        parts.append(f"\nTop statements by {statements['time_column']}")
        parts.append(
            table(
                ["TOTAL ms", "CALLS", "MEAN ms", "QUERY"],
                [
                    [s["total_ms"], s["calls"], s["mean_ms"], s["query"][:80]]
                    for s in statements["statements"]
                ],
            )
        )
    else:
        parts.append(f"\nTop statements unavailable: {statements['hint']}")
    parts.append("\nLargest tables")
    parts.append(
        table(
            ["TABLE", "SIZE MiB", "LIVE ROWS"],
            [[t["table"], round(t["bytes"] / 2**20, 2), t["live_rows"]] for t in doc["tables"]],
        )
    )
    pool = doc["pool"]
    if pool["available"]:
        parts.append(
            "\nTrading-service pool (HikariCP): "
            + ", ".join(
                f"{key} {pool[key]:g}"
                for key in ("active", "idle", "pending", "max")
                if pool.get(key) is not None
            )
        )
    else:
        parts.append(f"\nTrading-service pool metrics unavailable: {pool['reason']}")
    return "\n".join(parts)


COMMANDS = {
    "check": Command(_add_check_arguments, check),
    "perf": Command(_add_perf_arguments, perf),
}
