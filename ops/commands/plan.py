"""``commsec plan STACK``: run the Pulumi program offline and check it against the pack.

Pulumi, the program and the policy pack are imported inside :func:`plan` so that the CLI's
other commands never load them.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import EscalateError, InputError
from ops.report import Report, table

PROJECT_FILE = "Pulumi.yaml"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_name", metavar="STACK", help="stack to plan: dev, staging or prod")
    parser.add_argument(
        "--stack-file",
        metavar="PATH",
        type=Path,
        help="read the configuration from this stack file instead of stacks/Pulumi.STACK.yaml",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="write plan.json and manifests/*.yaml here (default: build/STACK/)",
    )
    parser.add_argument(
        "--no-checkov", action="store_true", help="skip checkov over the rendered manifests"
    )


def project_root(start: Path | None = None) -> Path:
    """The directory holding Pulumi.yaml: the working directory's, else this checkout's."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return Path(__file__).resolve().parents[2]


def _stack_file(args: argparse.Namespace, root: Path) -> Path:
    if args.stack_file is not None:
        if args.stack_file.is_dir():
            raise InputError(
                f"--stack-file {args.stack_file} is a directory, not a stack file",
                hint="pass the path of a Pulumi stack file (YAML with a config: mapping)",
            )
        if not args.stack_file.is_file():
            raise InputError(
                f"--stack-file {args.stack_file} does not exist",
                hint="pass the path of a Pulumi stack file (YAML with a config: mapping)",
            )
        return args.stack_file
    path = root / "stacks" / f"Pulumi.{args.stack_name}.yaml"
    if not path.is_file():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("stacks/Pulumi.*.yaml")
        )
        raise InputError(
            f"no stack file for stack {args.stack_name!r} ({path})",
            hint=f"choose one of: {', '.join(known) or 'none found'}, or pass --stack-file PATH",
        )
    return path


def _policy_verdicts(
    result: Any, document: dict[str, Any], manifest_dir: Path, skip_checkov: bool
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Run the CrossGuard pack and checkov when the project ships them."""
    violations: list[dict[str, Any]] = []
    checkov: dict[str, Any] | None = None
    if importlib.util.find_spec("ops.plan.evaluate") is not None:
        from ops.plan.evaluate import evaluate_pack

        violations = evaluate_pack(document["resources"], stack=result.stack)
    if not skip_checkov and importlib.util.find_spec("ops.plan.checkov") is not None:
        from ops.plan import checkov as checkov_module

        try:
            checkov = checkov_module.run_checkov(manifest_dir)
        except checkov_module.CheckovUnavailable as exc:
            raise EscalateError(str(exc), hint="or pass --no-checkov to skip it") from exc
    return violations, checkov


def _failed(violations: list[dict[str, Any]], checkov: dict[str, Any] | None) -> list[str]:
    reasons = []
    mandatory = [v for v in violations if v.get("enforcement") == "mandatory"]
    if mandatory:
        reasons.append(f"{len(mandatory)} mandatory policy violation(s)")
    if checkov is not None and (checkov.get("failed") or checkov.get("parse_errors")):
        reasons.append(checkov.get("problem") or "checkov reported failures")
    if checkov is not None and not checkov.get("resource_count", 1):
        reasons.append(checkov.get("problem") or "checkov scanned no resources")
    return reasons


def _check_environment(stack: str, stack_file: Path, engine: Any) -> None:
    """Refuse to plan one environment's file as another stack: its tags and its policy
    configuration would disagree, and the plan would mislead whoever reads it."""
    config, _ = engine.load_stack_config(stack_file)
    declared = config.get("commsec-platform:environment")
    if declared and stack in ("dev", "staging", "prod") and declared != stack:
        raise InputError(
            f"{stack_file} declares environment {declared!r} but is planned as stack {stack!r}",
            hint=f"run 'commsec plan {declared} --stack-file {stack_file}', "
            "or fix commsec-platform:environment",
        )


def _write_out(engine: Any, result: Any, document: dict[str, Any], out_dir: Path) -> None:
    try:
        engine.write_out(result, document, out_dir)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot write there ({exc.strerror or exc})",
            hint="pass a directory you can write to",
        ) from exc


def plan(args: argparse.Namespace, ctx: Context) -> Report:
    from infra.settings import SettingsError
    from ops.plan import engine

    root = project_root()
    stack_file = _stack_file(args, root)
    try:
        _check_environment(args.stack_name, stack_file, engine)
        result = engine.run(args.stack_name, stack_file)
    except SettingsError as exc:
        # The message already names key, value, rule and fix.
        raise InputError(f"{stack_file}: {exc}") from exc
    except engine.StackFileError as exc:
        raise InputError(str(exc)) from exc

    out_dir = args.out if args.out is not None else root / "build" / args.stack_name
    document = result.document()
    _write_out(engine, result, document, out_dir)
    violations, checkov = _policy_verdicts(result, document, out_dir / "manifests", args.no_checkov)
    document["violations"] = violations
    document["checkov"] = checkov
    _write_out(engine, result, document, out_dir)
    reasons = _failed(violations, checkov)
    text = render_text(result, engine.summarize(result), violations, checkov, out_dir, reasons)
    return Report(title="plan", data=document, text=text, ok=not reasons, bare=True)


# --- text ------------------------------------------------------------------------------------


def _section(title: str, body: str) -> str:
    return f"\n{title}\n{body}"


def render_text(
    result: Any,
    summary: dict[str, Any],
    violations: list[dict[str, Any]],
    checkov: dict[str, Any] | None,
    out_dir: Path,
    reasons: list[str],
) -> str:
    parts = [f"Plan of stack {result.stack} ({result.project}): {len(result.resources)} resources"]
    parts.append(
        _section("Resources by type", table(["type", "count"], list(summary["counts"].items())))
    )
    zones = zip(
        summary["availabilityZones"] or [], summary["availabilityZoneIds"] or [], strict=False
    )
    parts.append(
        _section(
            f"Availability Zones ({summary['natGateways']} NAT gateways)",
            table(
                ["zone", "zone id", "subnets"],
                [
                    (
                        name,
                        zone_id,
                        ", ".join(
                            f"{s['tier']} {s['cidr']}"
                            for s in summary["subnets"]
                            if s["zone"] == name
                        ),
                    )
                    for name, zone_id in zones
                ],
            ),
        )
    )
    parts.append(
        _section(
            "Node groups",
            table(
                ["name", "min", "desired", "max", "instance", "AZ subnets", "ignore scaling"],
                [
                    (
                        g["name"],
                        g.get("minSize"),
                        g.get("desiredSize"),
                        g.get("maxSize"),
                        ", ".join(g["instanceTypes"] or []),
                        g["subnets"],
                        g["ignoreScalingChanges"],
                    )
                    for g in summary["nodeGroups"]
                ],
            ),
        )
    )
    parts.append(
        _section(
            "Load balancers",
            table(
                [
                    "name",
                    "scheme",
                    "zonal shift",
                    "LCU reservation",
                    "AZ subnets",
                    "deletion protection",
                ],
                [
                    (
                        lb["name"],
                        "internal" if lb["internal"] else "internet-facing",
                        lb["zonalShift"],
                        lb["capacityUnits"] or "none",
                        lb["subnets"],
                        lb["deletionProtection"],
                    )
                    for lb in summary["loadBalancers"]
                ],
            ),
        )
    )
    for shift in summary["autoshift"]:
        rows = [
            (utc, aest, aedt)
            for utc, aest, aedt in zip(
                shift["windowsUtc"],
                shift["windowsSydney"]["AEST"],
                shift["windowsSydney"]["AEDT"],
                strict=True,
            )
        ]
        parts.append(
            _section(
                f"Zonal autoshift {shift['resource']}: {shift['status']}, outcome alarms "
                f"{', '.join(a.rsplit(':', 1)[-1] for a in shift['outcomeAlarms'])}",
                table(
                    ["practice window (UTC)", "Sydney AEST (UTC+10)", "Sydney AEDT (UTC+11)"], rows
                ),
            )
        )
    for db in summary["databases"]:
        parts.append(
            _section(
                f"Database {db['identifier']} ({db['engine']}, {db['instanceClass']})",
                table(
                    ["setting", "value", "Sydney AEST", "Sydney AEDT"],
                    [
                        ("Multi-AZ", db["multiAz"], None, None),
                        ("backup retention", f"{db['backupRetentionDays']} days", None, None),
                        (
                            "backup window",
                            f"daily {db['backupWindow']} UTC",
                            *_both(db["backupWindowSydney"]),
                        ),
                        (
                            "maintenance window",
                            f"{db['maintenanceWindow']} UTC",
                            *_both(db["maintenanceWindowSydney"]),
                        ),
                    ],
                ),
            )
        )
    parts.append(
        _section(
            "Alarms",
            table(
                ["name", "metric", "condition", "period x evaluations", "notifies"],
                [
                    (
                        a["name"],
                        a["metric"],
                        f"{a['statistic']} {_op(a['comparison'])} {a['threshold']}",
                        f"{a['period']}s x {a['evaluationPeriods']}",
                        ", ".join(x.rsplit(":", 1)[-1] for x in a["actions"]) or "NOTHING",
                    )
                    for a in sorted(summary["alarms"], key=lambda a: a["name"] or "")
                ],
            ),
        )
    )
    parts.append(_section("Policy verdict", _verdict(violations, checkov, reasons)))
    parts.append(f"\nWrote {out_dir / 'plan.json'} and {out_dir / 'manifests'}/")
    return "\n".join(parts)


def _both(views: dict[str, list[str]]) -> tuple[str, str]:
    return "; ".join(views.get("AEST", [])), "; ".join(views.get("AEDT", []))


def _op(comparison: str) -> str:
    return {
        "GreaterThanThreshold": ">",
        "LessThanThreshold": "<",
        "GreaterThanOrEqualToThreshold": ">=",
        "LessThanOrEqualToThreshold": "<=",
    }.get(comparison, comparison)


def _verdict(
    violations: list[dict[str, Any]], checkov: dict[str, Any] | None, reasons: list[str]
) -> str:
    lines = []
    if violations:
        lines.append(
            table(
                ["policy", "enforcement", "resource", "message"],
                [
                    (
                        v.get("policy"),
                        v.get("enforcement"),
                        (v.get("urn") or "stack").rsplit("::", 1)[-1],
                        v.get("message"),
                    )
                    for v in violations
                ],
            )
        )
    else:
        lines.append("CrossGuard: no violations")
    if checkov is None:
        lines.append("checkov: not run")
    else:
        lines.append(
            f"checkov: {checkov.get('passed', 0)} passed, {checkov.get('failed', 0)} failed, "
            f"{checkov.get('skipped', 0)} skipped over {checkov.get('resource_count', 0)} resources"
        )
    lines.append("FAILED: " + "; ".join(reasons) if reasons else "PASSED")
    return "\n".join(lines)


COMMANDS = {"plan": Command(_add_arguments, plan, needs_outputs=False)}
