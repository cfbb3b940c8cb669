"""Benchmark: ``commsec health`` against the runbook's script 1.1 (kubectl), same stand-in.

Both run against the Kubernetes stand-in of the tests (kmock, extended) on 127.0.0.1, once
with a static-token kubeconfig and once with an EKS-style exec-plugin kubeconfig
(``aws eks get-token``, signing against a local STS endpoint; nothing leaves the machine).
Each variant runs ``--runs`` times after one warm-up run; the medians are compared.

    uv run python bench/health.py [--runs 9] [--write bench/health.md]

Python writes bytecode caches on first use in a normal install; this environment may set
PYTHONDONTWRITEBYTECODE, so the script compiles the project and its environment first and
runs ``commsec`` without that variable, as an operator's machine would.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ops.k8s.seed import seed  # noqa: E402
from tests.servers.kube_api import KubeApi, KubeApiServer  # noqa: E402

SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    # Presigning never sends a request, but point STS at a closed local port regardless.
    "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
}


def _timed(argv: list[str], env: dict[str, str], expect: set[int]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode not in expect:
        raise SystemExit(f"{argv[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed


def _median(argv: list[str], env: dict[str, str], runs: int, expect: set[int]) -> float:
    _timed(argv, env, expect)  # warm-up: caches, bytecode
    return statistics.median(_timed(argv, env, expect) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--write", type=Path, help="append the results table to this file")
    args = parser.parse_args()
    for tool in ("kubectl", "aws", "bash"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench/health.py needs {tool} on PATH")

    compileall.compile_dir(str(ROOT / "ops"), quiet=1)
    compileall.compile_dir(str(ROOT / "infra"), quiet=1)
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1)

    api = KubeApi()
    server = KubeApiServer(api, tls=True).start()
    seed(api)
    commsec = str(Path(sys.executable).parent / "commsec")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(SAFE_ENV, HOME=str(home))
        static = server.kubeconfig(home / "static.yaml")
        aws = shutil.which("aws") or "aws"
        exec_plugin = server.kubeconfig(
            home / "exec.yaml",
            exec_command=[aws, "--region", "us-east-1", "eks", "get-token",
                          "--cluster-name", "commsec-cluster"],
        )  # fmt: skip
        try:
            for label, config in (("static token", static), ("exec plugin", exec_plugin)):
                run_env = dict(env, KUBECONFIG=str(config))
                # the stand-in accepts only EKS tokens while the exec variant runs
                api.token_prefix = "k8s-aws-v1." if config == exec_plugin else None
                script = _median(
                    ["bash", str(ROOT / "bench/runbook_1_1.sh")], run_env, args.runs, {0}
                )
                ours = _median([commsec, "health"], run_env, args.runs, {0, 1})
                results.append((label, script, ours))
        finally:
            server.stop()

    lines = [
        "| kubeconfig | script 1.1 (kubectl) | commsec health | speed-up |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {script:.3f} s | {ours:.3f} s | {script / ours:.1f}x |"
        for label, script, ours in results
    ]
    table = "\n".join(lines)
    print(table)
    print(f"(medians of {args.runs} runs after one warm-up, {time.strftime('%Y-%m-%d')})")
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write(f"\n{table}\n\nMedians of {args.runs} runs after one warm-up.\n")


if __name__ == "__main__":
    main()
