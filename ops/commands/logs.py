"""``commsec logs APP``: the logs of every pod of an app, each line prefixed with its pod."""

from __future__ import annotations

import argparse
import re

from ops.cli import Command
from ops.context import Context
from ops.errors import InputError
from ops.report import Report

# Bounds checked while parsing: the API server takes tailLines and sinceSeconds as int64
# and answers an absurd value with an opaque error, or not at all.
MAX_TAIL = 100_000
MAX_SINCE_DAYS = 30


def _since(text: str) -> int:
    from ops import k8s_workloads as w

    return w.parse_duration(text, option="--since", max_s=MAX_SINCE_DAYS * 86400)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments, int_in_range

    parser.add_argument("app", metavar="APP", help="value of the pods' 'app' label")
    parser.add_argument("--grep", metavar="PATTERN", help="keep lines matching this regex")
    parser.add_argument(
        "--ignore-case", "-i", action="store_true", help="match --grep case-insensitively"
    )
    parser.add_argument(
        "--since",
        metavar="DURATION",
        type=_since,
        help=f"only newer lines, e.g. 15m or 1h (at most {MAX_SINCE_DAYS}d)",
    )
    parser.add_argument(
        "--tail",
        metavar="N",
        type=int_in_range("--tail", 0, MAX_TAIL, rule=f"zero or more lines, at most {MAX_TAIL}"),
        help=f"last N lines of each pod (at most {MAX_TAIL})",
    )
    add_kube_arguments(parser)


def _pattern(args: argparse.Namespace) -> re.Pattern[str] | None:
    if args.grep is None:
        return None
    try:
        return re.compile(args.grep, re.IGNORECASE if args.ignore_case else 0)
    except re.error as exc:
        raise InputError(
            f"--grep {args.grep!r} is not a valid regular expression ({exc})",
            hint="escape special characters such as ( [ * with a backslash",
        ) from None


def run(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_workloads as w
    from ops.kube import run_in_namespace, target_from_args

    since = args.since
    pattern = _pattern(args)
    target = target_from_args(args, ctx)
    found = run_in_namespace(
        target,
        lambda kube: w.app_logs(
            kube, target.namespace, args.app, since_s=since, tail=args.tail, pattern=pattern
        ),
    )
    if not found["pods"]:
        raise InputError(
            f"no pods labelled app={args.app} in namespace {target.namespace}",
            hint="check the app name ('commsec health' lists the pods) and --namespace",
        )
    width = max(len(item["pod"]) for item in found["lines"]) if found["lines"] else 0
    text = "\n".join(f"{item['pod'].ljust(width)} | {item['line']}" for item in found["lines"])
    return Report(
        title="logs",
        data={"namespace": target.namespace, "app": args.app, **found},
        text=text or f"No matching lines in {len(found['pods'])} pod(s) of {args.app}",
    )


COMMANDS = {"logs": Command(_add_arguments, run)}
