"""Strict argument rules: the snapshot's reason tag and the zonal shift's duration."""

from __future__ import annotations

import json

import pytest

from ops.arc import parse_duration
from ops.errors import InputError
from tests.ops.aws.conftest import AwsLab


def _one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * 257, "--reason is 257 characters long; an RDS tag value holds at most 256"),
        ("x" * 400, "--reason is 400 characters long"),
        ("pre-release\x07", "--reason contains '\\x07' (U+0007)"),
        ("line one\nline two", "--reason contains '\\n' (U+000A)"),
        ("tab\there", "--reason contains '\\t' (U+0009)"),
        ("50% done", "--reason contains '%' (U+0025)"),
    ],
)
def test_snapshot_reason_outside_the_tag_rules_is_exit_2(lab: AwsLab, capsys, reason, message):
    assert lab.run("backup", "snapshot", "--reason", reason, "--dry-run") == 2
    line = _one_error(capsys.readouterr().err)
    assert message in line
    assert lab.moto_proxy.count("Action=CreateDBSnapshot") == 0


@pytest.mark.parametrize(
    "reason",
    ["x" * 256, "pre-release: v1.2/db=ok +more @team_a", "Vorabprüfung 日本 ٣"],
)
def test_snapshot_reason_within_the_tag_rules_is_kept_whole(lab: AwsLab, capsys, reason):
    assert lab.run("backup", "snapshot", "--reason", reason, "--dry-run", "--format", "json") == 0
    [call] = json.loads(capsys.readouterr().out)["result"]["calls"]
    assert {"Key": "reason", "Value": reason} in call["Tags"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration=-1h"], "--duration -1h is negative; a shift lasts from 1m to 72h"),
        (["--duration=-30m"], "--duration -30m is negative"),
        (["--duration", " 1h"], "--duration ' 1h' is not a whole number of minutes or hours"),
        (["--duration", "1h "], "--duration '1h ' is not a whole number"),
        (["--duration", "1h\n"], "--duration '1h\\n' is not a whole number"),
        (["--duration", "１h"], "is not a whole number"),  # a full-width digit
        (["--duration", "+1h"], "--duration '+1h' is not a whole number"),
    ],
)
def test_shift_duration_is_strict(lab: AwsLab, capsys, argv, message) -> None:
    assert lab.run("shift", "start", "--az", "us-east-1a", *argv, "--dry-run") == 2
    assert message in _one_error(capsys.readouterr().err)
    assert lab.arc.emulator.state.calls == []


def test_assess_duration_follows_the_same_rule(lab: AwsLab, capsys) -> None:
    assert lab.run("shift", "assess", "--duration=-2h", "--dry-run") == 2
    assert "--duration -2h is negative" in _one_error(capsys.readouterr().err)


@pytest.mark.parametrize(("text", "expires_in"), [("1m", "1m"), ("90m", "90m"), ("72h", "72h")])
def test_parse_duration_accepts_arcs_form(text: str, expires_in: str) -> None:
    assert parse_duration(text) == expires_in


def test_parse_duration_refuses_a_negative_value_by_rule() -> None:
    with pytest.raises(InputError, match="is negative") as info:
        parse_duration("-1h")
    assert info.value.exit_code == 2 and "30m or 2h" in (info.value.hint or "")
