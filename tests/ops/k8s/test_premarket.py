"""``commsec premarket`` against moto, ARC, the edge server, the stand-in and PostgreSQL."""

from __future__ import annotations

from typing import Any

import boto3
import kmock
import pytest

from ops.commands.premarket import market_note
from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli


def _fix_cluster(kube: Any) -> None:
    del kube.objects[kmock.resource("", "v1", "pods"), s.NS, s.CRASHING_POD]


def _checks(capsys: pytest.CaptureFixture[str], platform: dict[str, Any]) -> tuple[int, dict]:
    code, doc, err = run_cli(capsys, "premarket", "--outputs", platform["outputs"])
    assert doc is not None, err
    return code, {c["check"]: c for c in doc["result"]["checks"]}


def test_every_check_passes_on_a_ready_platform(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _fix_cluster(platform["kube"])
    code, checks = _checks(capsys, platform)
    assert {name: c["result"] for name, c in checks.items()} == {
        "Pods ready": "PASS",
        "Node capacity": "PASS",
        "Database reachable": "PASS",
        "Web ALB targets": "PASS",
        "App ALB targets": "PASS",
        "CloudFront": "PASS",
        "Zonal shift": "PASS",
        "LCU reservation": "PASS",
    }
    assert code == 0
    assert checks["Pods ready"]["actual"] == "8/8 ready"
    assert checks["Web ALB targets"]["actual"] == "3/3 healthy"
    assert checks["LCU reservation"]["actual"] == "1500 LCUs reserved, state provisioned"
    assert checks["Database reachable"]["actual"].startswith("SELECT 1 ok on PostgreSQL 15.")
    assert checks["Zonal shift"]["actual"] == (
        "enabled on web and app, no shifts (web ENABLED, app ENABLED)"
    )


def test_each_fault_fails_its_own_row(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    edge = platform["edge"]
    edge.state.capacity_units = None
    edge.state.health_status = 502
    boto3.client("arc-zonal-shift").start_zonal_shift(
        resourceIdentifier=platform["web_alb"]["LoadBalancerArn"],
        awayFrom="use1-az2",
        expiresIn="4h",
        comment="left over from a drill",
    )
    code, checks = _checks(capsys, platform)
    assert code == 1
    failed = {name for name, c in checks.items() if c["result"] == "FAIL"}
    assert failed == {"Pods ready", "CloudFront", "Zonal shift", "LCU reservation"}
    assert s.CRASHING_POD in checks["Pods ready"]["actual"]
    assert checks["Zonal shift"]["actual"] == (
        "active shift on web away from use1-az2 (left over from a drill)"
    )
    assert checks["LCU reservation"]["actual"] == "no minimum capacity reserved"
    assert "origin HTTP 502" in checks["CloudFront"]["actual"]


def test_autoshifts_on_every_page_of_the_list_are_reported(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _fix_cluster(platform["kube"])
    emulator = platform["arc"].emulator
    assert emulator.state.page_size < 3  # three autoshifts span more than one page
    for tier, zone in (("web", "use1-az1"), ("app", "use1-az2"), ("web", "use1-az4")):
        emulator.start_autoshift(platform[f"{tier}_alb"]["LoadBalancerArn"], zone)
    code, checks = _checks(capsys, platform)
    assert code == 1
    assert checks["Zonal shift"]["result"] == "FAIL"
    assert checks["Zonal shift"]["actual"] == "; ".join(
        f"autoshift away from {zone} in progress" for zone in ("use1-az1", "use1-az2", "use1-az4")
    )


def test_a_database_that_refuses_the_password_fails_only_that_row(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fix_cluster(platform["kube"])
    monkeypatch.setenv("PGPASSWORD", "wrong")
    code, checks = _checks(capsys, platform)
    assert code == 1
    assert checks["Database reachable"]["result"] == "FAIL"
    assert "refused the password" in checks["Database reachable"]["actual"]
    assert checks["Web ALB targets"]["result"] == "PASS"


def test_api_server_down_fails_the_cluster_rows_and_keeps_the_others(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    platform["kube"].forbidden_namespaces.add(s.NS)
    code, checks = _checks(capsys, platform)
    assert code == 1
    assert "forbidden by RBAC" in checks["Pods ready"]["actual"]
    assert checks["LCU reservation"]["result"] == "PASS"


@pytest.mark.parametrize(
    ("now", "phase", "words"),
    [
        ("2026-12-03T21:30:00+00:00", "pre-open", "before the 9:00 checklist time"),  # 08:30 AEDT
        ("2026-12-03T22:05:00+00:00", "pre-open", "the market opens at 10:00"),  # 09:05 AEDT
        ("2026-12-24T22:05:00+00:00", "closed", "Christmas Day, the market does not open"),
        ("2026-12-05T22:05:00+00:00", "closed", "Sunday"),
        ("2026-07-06T23:05:00+00:00", "pre-open", "the market opens at 10:00"),  # 09:05 AEST
        ("2026-12-04T00:30:00+00:00", "open", "already open"),
    ],
)
def test_market_note_knows_sydney_time(now: str, phase: str, words: str) -> None:
    from datetime import datetime

    note = market_note(datetime.fromisoformat(now))
    assert note["phase"] == phase
    assert words in note["note"]


def test_on_an_asx_holiday_the_report_says_the_market_is_closed(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ops.k8s.conftest import run_text

    _fix_cluster(platform["kube"])
    monkeypatch.setenv("COMMSEC_NOW", "2026-12-24T22:05:00+00:00")  # 09:05 on Christmas Day
    code, out, _ = run_text(capsys, "premarket", "--outputs", platform["outputs"])
    assert code == 0
    assert out.splitlines()[0] == (
        "Sydney time Fri 25 Dec 09:05 AEDT: ASX closed: Christmas Day, "
        "the market does not open today"
    )


def test_a_missing_deployment_fails_the_pods_check(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    kube = platform["kube"]
    _fix_cluster(kube)
    del kube.objects[kmock.resource("apps", "v1", "deployments"), s.NS, "trading-service"]
    code, checks = _checks(capsys, platform)
    assert code == 1
    assert checks["Pods ready"]["result"] == "FAIL"
    assert checks["Pods ready"]["actual"].endswith(
        "; Deployment trading-service is missing from namespace commsec"
    )


def test_a_namespace_that_does_not_exist_is_an_input_error(
    platform: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = run_cli(
        capsys, "premarket", "--outputs", platform["outputs"], "-n", "commsec-typo"
    )
    assert (code, doc) == (2, None)
    assert err.startswith("Error: --namespace commsec-typo: no such namespace")
