"""Speed of the 3 a.m. path: start a zonal shift on both ALBs, three ways, same local servers.

1. the runbook's script 3.2: four AWS CLI processes (two DescribeLoadBalancers, two
   StartZonalShift), given the AZ id rather than the name the runbook wrongly passes;
2. a bare boto3 script with the minimum calls: one AZ look-up and two StartZonalShift in
   parallel;
3. ``commsec shift start --lb all --yes``.

moto and the ARC emulator run in this process on 127.0.0.1; each variant runs as a fresh
process, alternating, ``--repeat`` times; the shifts are cleared between runs. Prints the
median wall time of each and the two ratios the target is stated in.

    .venv/bin/python bench/shift.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tests.conftest  # noqa: E402,F401  (fake credentials, no metadata endpoint)
from tests.servers.arc_emulator import ArcServer  # noqa: E402
from tests.servers.moto_server import MotoServer, seed_stack  # noqa: E402

_BARE = """
import sys, threading, boto3
from botocore.config import Config
moto, arc_url, web, app = sys.argv[1:5]
config = Config(retries={"total_max_attempts": 1})
session = boto3.session.Session(region_name="us-east-1")
ec2 = session.client("ec2", endpoint_url=moto, config=config)
arc = session.client("arc-zonal-shift", endpoint_url=arc_url, config=config)
zones = ec2.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"]
zone_id = zones[0]["ZoneId"]
def shift(arn):
    arc.start_zonal_shift(resourceIdentifier=arn, awayFrom=zone_id, expiresIn="1h",
                          comment="bench")
threads = [threading.Thread(target=shift, args=(a,)) for a in (web, app)]
for t in threads: t.start()
for t in threads: t.join()
"""

_RUNBOOK = """
set -euo pipefail
WEB_ALB_ARN=$(aws elbv2 describe-load-balancers --endpoint-url "$MOTO" \\
    --names commsec-web-alb --query 'LoadBalancers[0].LoadBalancerArn' --output text)
APP_ALB_ARN=$(aws elbv2 describe-load-balancers --endpoint-url "$MOTO" \\
    --names commsec-app-alb --query 'LoadBalancers[0].LoadBalancerArn' --output text)
aws arc-zonal-shift start-zonal-shift --endpoint-url "$ARC" \\
    --resource-identifier "$WEB_ALB_ARN" --away-from "$AZ_ID" --expires-in 1h \\
    --comment "Shifting away from $AZ_ID" > /dev/null
aws arc-zonal-shift start-zonal-shift --endpoint-url "$ARC" \\
    --resource-identifier "$APP_ALB_ARN" --away-from "$AZ_ID" --expires-in 1h \\
    --comment "Shifting away from $AZ_ID" > /dev/null
"""


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    if shutil.which("aws") is None:
        raise SystemExit("the AWS CLI ('aws') is needed for the runbook variant")

    moto = MotoServer().start()
    arc = ArcServer().start()
    try:
        stack = seed_stack(moto.url)
        outputs = stack.outputs
        for key in ("webAlbArn", "appAlbArn"):
            arc.emulator.add_resource(outputs[key], tuple(outputs["availabilityZoneIds"]))
        work = Path(tempfile.mkdtemp(prefix="commsec-bench-"))
        outputs_file = work / "outputs.json"
        outputs_file.write_text(json.dumps(outputs), encoding="utf-8")
        (work / "bare.py").write_text(_BARE, encoding="utf-8")
        (work / "runbook.sh").write_text(_RUNBOOK, encoding="utf-8")
        env = {
            **os.environ,
            "MOTO": moto.url,
            "ARC": arc.url,
            "AZ_ID": stack.az_ids["us-east-1a"],
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT": arc.url,
            "AWS_MAX_ATTEMPTS": "1",
        }
        # The AWS CLI on the image ships compiled bytecode, and the project's environment is
        # installed with it (uv's compile-bytecode). An environment made without it would
        # recompile botocore in every run while PYTHONDONTWRITEBYTECODE is set; letting the
        # warm-up round write the cache keeps all variants on equal terms either way.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        python = str(ROOT / ".venv" / "bin" / "python")
        variants = {
            "runbook 3.2 (4 AWS CLI calls)": ["bash", str(work / "runbook.sh")],
            "bare boto3 (1 look-up + 2 parallel)": [
                python,
                str(work / "bare.py"),
                moto.url,
                arc.url,
                outputs["webAlbArn"],
                outputs["appAlbArn"],
            ],
            "commsec shift start --lb all --yes": [
                str(ROOT / ".venv" / "bin" / "commsec"),
                "shift",
                "start",
                "--az",
                "us-east-1a",
                "--lb",
                "all",
                "--yes",
                "--outputs",
                str(outputs_file),
                "--audit-log",
                str(work / "audit.jsonl"),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_number in range(args.repeat + 1):
            for name, argv in variants.items():
                arc.emulator.reset()
                elapsed = _timed(argv, env)
                if round_number:  # round 0 only warms the caches (bytecode, page cache)
                    times[name].append(elapsed)
                active = [s for s in arc.emulator.state.shifts if s.status == "ACTIVE"]
                if len(active) != 2:
                    raise SystemExit(f"{name} left {len(active)} active shifts, expected 2")
        medians = {name: statistics.median(values) for name, values in times.items()}
        runbook, bare, commsec = medians.values()
        for name, values in times.items():
            spread = f"min {min(values):.3f} s, max {max(values):.3f} s"
            print(f"{name:40s} median {medians[name]:.3f} s  ({spread}, n={len(values)})")
        print(f"commsec / bare    = {commsec / bare:.2f}x   (target <= 1.5x)")
        print(f"runbook / commsec = {runbook / commsec:.2f}x   (target >= 4x)")
        shutil.rmtree(work, ignore_errors=True)
    finally:
        arc.stop()
        moto.stop()


if __name__ == "__main__":
    main()
