"""The ``commsec`` command line: a thin dispatcher over functions that return data.

Only the module of the command being run is imported, so ``commsec shift start`` never pays
for Pulumi, the Kubernetes client or psycopg. Every leaf command gets ``--format``;
commands that read a stack get ``--stack``/``--outputs``; mutating ones get ``--dry-run``,
``--yes`` and ``--audit-log``. Foreseeable failures print one ``Error:`` line: exit 2 for bad
usage or input, 1 for a failed check or operation.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ops.errors import CommsecError, InputError, truncate

if TYPE_CHECKING:
    from ops.context import Context
    from ops.report import Report


@dataclass(frozen=True)
class Command:
    """A leaf command as a module declares it in its ``COMMANDS`` mapping."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Context], Report]
    mutating: bool = False
    needs_outputs: bool = True


# command path -> (module, one-line summary). Kept here, not discovered, so that the
# top-level help and dispatch import nothing but this file.
COMMAND_TABLE: dict[tuple[str, ...], tuple[str, str]] = {
    ("plan",): ("ops.commands.plan", "run the Pulumi program offline and check the policy pack"),
    ("health",): ("ops.commands.health", "daily health check of the cluster and workloads"),
    ("premarket",): ("ops.commands.premarket", "pre-market checklist, one row per check"),
    ("hpa",): ("ops.commands.hpa", "horizontal pod autoscaler status"),
    ("scale", "deployment"): ("ops.commands.workloads", "scale a Deployment (through its HPA)"),
    ("scale", "nodegroup"): ("ops.commands.nodegroup", "resize an EKS managed node group"),
    ("restart", "deployment"): ("ops.commands.workloads", "rollout restart of a Deployment"),
    ("shift", "start"): ("ops.commands.shift", "start an ARC zonal shift away from an AZ"),
    ("shift", "status"): ("ops.commands.shift", "active zonal shifts and autoshifts"),
    ("shift", "cancel"): ("ops.commands.shift", "cancel every active operator zonal shift"),
    ("shift", "assess"): ("ops.commands.shift", "the zonal-shift decision tree, from metrics"),
    ("incident", "sev1"): ("ops.commands.incident", "SEV-1 triage bundle"),
    ("incident", "report"): ("ops.commands.incident", "post-incident report skeleton"),
    ("db", "check"): ("ops.commands.db", "connect, SELECT 1, server version and TLS"),
    ("db", "perf"): ("ops.commands.db", "connections, top statements, table sizes, pool"),
    ("db", "failover"): ("ops.commands.dbfailover", "forced Multi-AZ failover of RDS"),
    ("backup", "snapshot"): ("ops.commands.rds_backup", "manual RDS snapshot"),
    ("backup", "list"): ("ops.commands.rds_backup", "snapshots and the restorable window"),
    ("backup", "restore"): ("ops.commands.rds_backup", "point-in-time restore to a new instance"),
    ("backup", "k8s"): ("ops.commands.k8s_backup", "export the namespace's resources to S3"),
    ("backup", "k8s-restore"): ("ops.commands.k8s_backup", "apply an export back"),
    ("alerts", "verify"): ("ops.commands.alerts", "alarms exist, notify the topic, subscribed"),
    ("logs",): ("ops.commands.logs", "logs of every pod of an app"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as :class:`InputError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        hint = f"see '{self.prog} --help'"
        if "expected one argument" in message:
            # argparse takes '-1h' for an option; '--duration=-1h' reaches the real rule.
            hint = f"a value that starts with '-' is written --option=VALUE; {hint}"
        raise InputError(f"{self.prog}: {message}", hint=hint)


def _overview(prefix: tuple[str, ...] = ()) -> str:
    rows = [
        (" ".join(path), summary)
        for path, (_, summary) in COMMAND_TABLE.items()
        if path[: len(prefix)] == prefix
    ]
    width = max(len(name) for name, _ in rows)
    lines = [
        f"usage: commsec {' '.join(prefix) + ' ' if prefix else ''}COMMAND [options]",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in rows]
    lines += ["", "Run 'commsec COMMAND --help' for a command's options."]
    return "\n".join(lines)


def _resolve(argv: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    words = list(argv)
    for length in (2, 1):
        path = tuple(words[:length])
        if path in COMMAND_TABLE:
            return path, words[length:]
    prefix = tuple(words[:1])
    if prefix and any(p[:1] == prefix for p in COMMAND_TABLE) and len(words) == 1:
        # 'commsec shift' alone is missing its subcommand: a usage error, like bare commsec.
        print(_overview(prefix), file=sys.stderr)
        raise SystemExit(2)
    if words[:1] == ["--version"]:
        from importlib.metadata import version

        print(f"commsec {version('commsec-platform')}")
        raise SystemExit(0)
    if not words:
        # A bare 'commsec' is a usage error, like any missing argument.
        print(_overview(), file=sys.stderr)
        raise SystemExit(2)
    if words[0] in ("-h", "--help", "help"):
        print(_overview())
        raise SystemExit(0)
    if prefix and any(p[:1] == prefix for p in COMMAND_TABLE):
        if words[1] in ("-h", "--help"):
            print(_overview(prefix))
            raise SystemExit(0)
        choices = ", ".join(p[1] for p in COMMAND_TABLE if p[:1] == prefix)
        raise InputError(
            f"unknown command 'commsec {words[0]} {words[1]}'", hint=f"choose one of: {choices}"
        )
    raise InputError(f"unknown command '{words[0]}'", hint="run 'commsec --help' for the list")


def _build_parser(path: tuple[str, ...], command: Command) -> argparse.ArgumentParser:
    summary = COMMAND_TABLE[path][1]
    parser = _Parser(prog="commsec " + " ".join(path), description=summary)
    common = parser.add_argument_group("common options")
    common.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text tables (default) or one JSON document",
    )
    if command.needs_outputs:
        common.add_argument(
            "--stack", metavar="NAME", help="read the outputs of this stack through the Pulumi CLI"
        )
        common.add_argument(
            "--outputs",
            metavar="FILE",
            help="read the outputs from this JSON file "
            "('pulumi stack output --json --show-secrets')",
        )
    if command.mutating:
        common.add_argument(
            "--dry-run", action="store_true", help="show the exact calls without making them"
        )
        common.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    # Accepted everywhere so scripts can pass it uniformly, shown only where it matters.
    common.add_argument(
        "--audit-log",
        metavar="PATH",
        type=Path,
        default=None,
        help="audit log file (default: ~/.local/state/commsec/audit.jsonl)"
        if command.mutating
        else argparse.SUPPRESS,
    )
    command.add_arguments(parser)
    return parser


def _load(path: tuple[str, ...]) -> Command:
    """The command of ``path``: keyed by its full path, or by its last word when unique."""
    module = importlib.import_module(COMMAND_TABLE[path][0])
    commands: dict[str, Command] = module.COMMANDS
    return commands.get(" ".join(path)) or commands[path[-1]]


def _emit(report: Report, fmt: str) -> None:
    if fmt == "json":
        json.dump(report.document(), sys.stdout, indent=2, default=str, sort_keys=False)
        sys.stdout.write("\n")
        return
    if report.text:
        from ops.report import printable

        print(printable(report.text, keep="\n\t"))
    for warning in report.warnings:
        print(f"Warning: {warning}", file=sys.stderr)


def run(argv: Sequence[str]) -> int:
    """Parse ``argv``, run the command and print its report; return the exit code."""
    from ops.context import Context, default_audit_log

    path, rest = _resolve(argv)
    command = _load(path)
    args = _build_parser(path, command).parse_args(rest)
    ctx = Context(
        command=" ".join(path),
        format=args.format,
        dry_run=getattr(args, "dry_run", False),
        yes=getattr(args, "yes", False),
        stack=getattr(args, "stack", None),
        outputs_file=getattr(args, "outputs", None),
        audit_log=getattr(args, "audit_log", None) or default_audit_log(),
    )
    if command.mutating:
        from ops.progress import poll_interval

        # A bad polling setting must stop the command before its change, not in its wait.
        poll_interval(1.0)
    report = command.run(args, ctx)
    _emit(report, args.format)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``commsec`` console script; returns (and exits with) the code."""
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except CommsecError as exc:
        sys.stdout.flush()
        print(f"Error: {exc.render()}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print(
            "Error: interrupted; an operation already sent to AWS or Kubernetes may still "
            "be in progress: check it with the matching status command",
            file=sys.stderr,
        )
        code = 130
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        code = 0  # the reader (head, less) went away; nothing left to say
    except Exception as exc:
        if os.environ.get("COMMSEC_DEBUG"):
            raise
        print(
            f"Error: internal error {type(exc).__name__}: {truncate(exc)} (this is a bug; "
            "re-run with COMMSEC_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        code = 1
    if argv is None:
        raise SystemExit(code)
    return code
