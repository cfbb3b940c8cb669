"""Run the pinned checkov over the rendered Kubernetes manifests, fully offline.

checkov lives in its own tool environment (``scripts/install-checkov`` puts it under
``.commsec/tools``) because it pins an old boto3 the project cannot share. It is run with
``--skip-download`` and ``BC_SKIP_MAPPING=TRUE`` so it never calls home, with the project's
config file (the only place checks are skipped, each with its reason) and the project's own
custom checks. checkov exits 0 on a file it could not parse, so a parse error or zero
scanned resources is treated as a failure here.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

import policies

ROOT = Path(policies.__file__).resolve().parent.parent
CHECKOV_DIR = ROOT / "policies" / "checkov"
CONFIG_FILE = CHECKOV_DIR / "config.yaml"
CHECKS_DIR = CHECKOV_DIR / "checks"
LAUNCHER = ROOT / ".commsec" / "tools" / "bin" / "checkov"
TIMEOUT_SECONDS = 300
# Environment that keeps checkov offline: no platform mapping download, no update check.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "FALSE",
}


class CheckovUnavailable(RuntimeError):
    """checkov is not installed or could not run; the message says how to fix it."""


def checkov_command() -> Path:
    """The checkov launcher: ``COMMSEC_CHECKOV`` if set, else the project's tool env."""
    configured = os.environ.get("COMMSEC_CHECKOV")
    launcher = Path(configured) if configured else LAUNCHER
    if not launcher.exists():
        raise CheckovUnavailable(
            f"checkov is not installed at {launcher}; run scripts/install-checkov "
            "(or pass --no-checkov)"
        )
    return launcher


def _failure(check: dict[str, Any]) -> dict[str, Any]:
    return {
        "check_id": check.get("check_id"),
        "check_name": check.get("check_name"),
        "resource": check.get("resource"),
        "file": check.get("file_path"),
        "guideline": check.get("guideline"),
    }


def _reports(document: Any) -> list[dict[str, Any]]:
    # One framework prints one report object; several print a list; nothing scanned prints
    # an empty summary without results.
    if isinstance(document, list):
        return [d for d in document if isinstance(d, dict)]
    return [document] if isinstance(document, dict) else []


def summarise(document: Any) -> dict[str, Any]:
    """The plan's ``checkov`` section from checkov's JSON output."""
    passed = failed = skipped = resources = 0
    failures: list[dict[str, Any]] = []
    parse_errors: list[str] = []
    for report in _reports(document):
        summary = report.get("summary") or {}
        results = report.get("results") or {}
        passed += int(summary.get("passed", 0))
        failed += int(summary.get("failed", 0))
        skipped += int(summary.get("skipped", 0))
        resources += int(summary.get("resource_count", 0))
        failures += [_failure(c) for c in results.get("failed_checks") or []]
        parse_errors += [str(p) for p in results.get("parsing_errors") or []]
    ok = failed == 0 and not parse_errors and resources > 0
    return {
        "ok": ok,
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "resource_count": resources,
        "failures": failures,
        "parse_errors": parse_errors,
        "problem": _problem(failed, parse_errors, resources),
    }


def _problem(failed: int, parse_errors: list[str], resources: int) -> str | None:
    if parse_errors:
        return f"checkov could not parse {len(parse_errors)} manifest(s): {parse_errors[0]}"
    if resources == 0:
        return "checkov scanned zero resources; the manifests are missing or unreadable"
    if failed:
        return f"{failed} checkov check(s) failed"
    return None


def unparseable(manifest_dir: Path) -> list[str]:
    """Manifest files that are not valid YAML, as ``path: reason``.

    checkov drops a file it cannot parse without reporting it whenever other files parse, so
    the manifests are parsed here first.
    """
    problems = []
    for path in sorted(manifest_dir.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            reason = str(exc).splitlines()[0]
            problems.append(f"{path}: {reason}")
    return problems


def checkov_args(manifest_dir: Path) -> list[str]:
    """The full checkov command line for ``manifest_dir`` (run it with ``OFFLINE_ENV``)."""
    return [
        str(checkov_command()),
        "--directory",
        str(manifest_dir),
        "--config-file",
        str(CONFIG_FILE),
        "--external-checks-dir",
        str(CHECKS_DIR),
        "--framework",
        "kubernetes",
        "--skip-download",
        "--output",
        "json",
    ]


def run_checkov(manifest_dir: Path) -> dict[str, Any]:
    """Scan ``manifest_dir`` and return ``passed, failed, skipped, failures, parse_errors``.

    ``ok`` is False (and ``problem`` says why) on any failed check, any parse error, or zero
    scanned resources. Raises :class:`CheckovUnavailable` when checkov cannot run at all.
    """
    command = checkov_args(manifest_dir)
    env = {**os.environ, **OFFLINE_ENV}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CheckovUnavailable(
            f"checkov could not run ({exc}); run scripts/install-checkov"
        ) from exc

    # checkov exits 1 when a check fails; anything else without JSON is a crash.
    try:
        document = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError as exc:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CheckovUnavailable(
            f"checkov exited {done.returncode} without a JSON report ({tail[0][:200]})"
        ) from exc
    result = summarise(document)
    local_errors = [e for e in unparseable(manifest_dir) if e not in result["parse_errors"]]
    if local_errors:
        result["parse_errors"] = local_errors + result["parse_errors"]
        result["ok"] = False
        result["problem"] = _problem(
            result["failed"], result["parse_errors"], result["resource_count"]
        )
    return result
