"""Time the guard rails: ``commsec plan`` with and without checkov, and checkov alone.

Run from the repository root after ``scripts/setup``:

    .venv/bin/python bench/policies.py [STACK] [--runs N]

Each figure is the median wall-clock time of N runs (default 5) of a fresh process, as an
operator or CI would run it. "checkov alone" is the plan's own checkov command line on the very
manifests the plan wrote; the pack evaluation alone is timed in-process over the recorded
resources.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMSEC = ROOT / ".venv" / "bin" / "commsec"
sys.path.insert(0, str(ROOT))

from ops.plan.checkov import OFFLINE_ENV, checkov_args  # noqa: E402 (after the path setup)


def _timed(
    command: list[str], runs: int, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False, env=env
        )
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            sys.exit(f"Error: {' '.join(command)} exited {done.returncode}: {done.stderr[-300:]}")
    return times


def _evaluation_times(stack: str, runs: int) -> list[float]:
    from ops.plan.engine import run
    from ops.plan.evaluate import evaluate_pack

    resources = [
        r.as_json() for r in run(stack, ROOT / "stacks" / f"Pulumi.{stack}.yaml").resources
    ]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        evaluate_pack(resources, stack=stack)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / args.stack
        plan = [str(COMMSEC), "plan", args.stack, "--out", str(out)]
        rows = {
            "commsec plan (no checkov)": _timed([*plan, "--no-checkov"], args.runs),
            "commsec plan (with checkov)": _timed(plan, args.runs),
        }
        rows["checkov alone (same manifests)"] = _timed(
            checkov_args(out / "manifests"), args.runs, env={**os.environ, **OFFLINE_ENV}, ok=(0,)
        )
        rows["pack evaluation alone (in-process)"] = _evaluation_times(args.stack, args.runs)

    print(f"stack {args.stack}, {args.runs} runs each, median (min-max) wall-clock seconds")
    for label, times in rows.items():
        print(f"  {label:<36} {statistics.median(times):6.2f}  ({min(times):.2f}-{max(times):.2f})")


if __name__ == "__main__":
    main()
