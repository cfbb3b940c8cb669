"""The AWS commands as an operator runs them: the console script, in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.aws.conftest import AwsLab

ROOT = Path(__file__).resolve().parents[3]
_HEAVY = ("pulumi", "pulumi_aws", "lightkube", "kubernetes", "psycopg", "checkov", "yaml")


@pytest.mark.parametrize(
    "argv",
    [
        ["shift", "start", "--az", "us-east-1a", "--yes"],
        ["scale", "nodegroup", "web", "--desired", "4", "--dry-run"],
        ["db", "failover", "--dry-run"],
        ["backup", "list"],
        ["alerts", "verify"],
    ],
)
def test_aws_path_imports_nothing_heavy(lab: AwsLab, argv: list[str]) -> None:
    probe = (
        "import sys, json\n"
        "from ops import cli\n"
        f"code = cli.main({argv!r} + ['--outputs', {str(lab.outputs_file)!r}, "
        f"'--audit-log', {str(lab.audit_log)!r}])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {_HEAVY!r})\n"
        "print(json.dumps({'code': code, 'heavy': heavy}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}


def _commsec(lab: AwsLab, *argv: str) -> subprocess.CompletedProcess[str]:
    commsec = Path(sys.executable).parent / "commsec"
    files = ["--outputs", str(lab.outputs_file), "--audit-log", str(lab.audit_log)]
    return subprocess.run(
        [str(commsec), *argv, *files],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_console_script_end_to_end(lab: AwsLab) -> None:
    done = _commsec(
        lab, "shift", "start", "--az", "us-east-1b", "--lb", "app", "--yes", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["result"]["loadBalancers"]["app"]["action"] == "started"
    assert "Traceback" not in done.stderr
    done = _commsec(lab, "shift", "start", "--az", "nowhere", "--yes")
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --az nowhere is not one of the AZs")
