"""``incident sev1`` bundles and ``incident report``, and how mitigations are ranked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import k8s_incident as inc
from ops.alb_metrics import lb_dimension
from tests.ops.k8s import seed as s
from tests.ops.k8s.conftest import run_cli, run_text

AZ_IDS = {"us-east-1a": "use1-az1", "us-east-1b": "use1-az2", "us-east-1c": "use1-az4"}


def _alb_traffic(lb_arn: str, errors: dict[str, int], requests: int = 1000) -> None:
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.now(UTC)
    for zone, count in errors.items():
        dims = [
            {"Name": "LoadBalancer", "Value": lb_dimension(lb_arn)},
            {"Name": "AvailabilityZone", "Value": zone},
        ]
        cloudwatch.put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {
                    "MetricName": "RequestCount",
                    "Dimensions": dims,
                    "Value": requests,
                    "Timestamp": now,
                },
                {
                    "MetricName": "HTTPCode_Target_5XX_Count",
                    "Dimensions": dims,
                    "Value": count,
                    "Timestamp": now,
                },
            ],
        )


def test_sev1_bundle_ranks_a_zonal_shift_first_when_one_zone_fails(
    platform: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _alb_traffic(
        platform["web_alb"]["LoadBalancerArn"],
        {"us-east-1a": 2, "us-east-1b": 180, "us-east-1c": 3},
    )
    bundle = tmp_path / "bundle"
    code, doc, err = run_cli(
        capsys, "incident", "sev1", "--outputs", platform["outputs"], "--out", str(bundle)
    )
    assert code == 0, err
    triage = json.loads((bundle / "triage.json").read_text())
    assert triage == json.loads(json.dumps(doc["result"]))
    first, second = triage["mitigations"][:2]
    assert first["action"] == "shift traffic away from us-east-1b (use1-az2)"
    assert first["commands"] == ["commsec shift start --az use1-az2 --lb all --duration 1h"]
    assert "18.0% 5xx in us-east-1b" in first["evidence"]
    assert second["action"] == "restart or roll back trading-service (1 unhealthy pod(s))"
    findings = triage["findings"]
    assert findings["health_endpoint"]["status"] == 200
    assert findings["pods_per_zone"] == {"us-east-1a": 3, "us-east-1b": 3, "us-east-1c": 3}
    web = {r["zone"]: r["error_percent"] for r in findings["alb_errors"]["web"]}
    assert web == {"us-east-1a": 0.2, "us-east-1b": 18.0, "us-east-1c": 0.3}
    times = [e["time"] for e in triage["timeline"]]
    assert times == sorted(times)
    assert any(s.CRASHING_POD in e["event"] for e in triage["timeline"])
    assert (bundle / "summary.txt").read_text().startswith("SEV-1 triage at ")


def test_sev1_still_writes_a_bundle_when_the_api_server_is_unreachable(
    platform: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform["kube"].forbidden_namespaces.add(s.NS)
    platform["edge"].state.health_status = 503
    code, doc, _ = run_cli(
        capsys, "incident", "sev1", "--outputs", platform["outputs"], "--out", str(tmp_path / "b")
    )
    assert code == 0
    assert "forbidden by RBAC" in doc["result"]["findings"]["pods"]["error"]
    assert doc["result"]["mitigations"][0]["action"].startswith("investigate the network path")


def test_report_is_prefilled_with_the_bundle_timeline(
    platform: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(capsys, "incident", "sev1", "--outputs", platform["outputs"])
    assert code == 0
    code, doc, err = run_cli(capsys, "incident", "report", "--id", "INC-2026-1204-001")
    assert code == 0, err
    text = (tmp_path / "INC-2026-1204-001.md").read_text()
    assert text.startswith("## Incident Report INC-2026-1204-001")
    assert "- **Severity**: SEV-1" in text
    assert f"kubernetes: Warning BackOff Pod/{s.CRASHING_POD}" in text
    assert "commsec: SEV-1 triage started" in text
    assert doc["result"]["timeline_entries"] >= 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--id", "2026-01"], "is not an incident id"),
        (["--id", "INC-2026-1204-001", "--bundle", "/nonexistent"], "has no triage.json"),
    ],
)
def test_report_bad_input(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_text(capsys, "incident", "report", *argv)
    assert code == 2
    assert message in err


def _findings(**overrides: Any) -> dict[str, Any]:
    zones = [
        {"zone": z, "requests": 1000.0, "errors_5xx": 2.0, "error_percent": 0.2} for z in AZ_IDS
    ]
    base: dict[str, Any] = {
        "alb_errors": {"web": zones, "app": zones},
        "nodes": [{"name": "n1", "zone": "us-east-1a", "ready": True, "pressure": []}],
        "unhealthy_pods": [],
        "rds_events": [],
        "zonal_shifts": {"active_shifts": []},
        "health_endpoint": {"url": "http://alb/api/health", "status": 200, "error": None},
    }
    base.update(overrides)
    return base


def test_errors_in_every_zone_do_not_suggest_a_shift() -> None:
    everywhere = [
        {"zone": z, "requests": 1000.0, "errors_5xx": 90.0, "error_percent": 9.0} for z in AZ_IDS
    ]
    ranked = inc.rank_mitigations(_findings(alb_errors={"web": everywhere}), AZ_IDS)
    assert not any("shift" in o["action"] for o in ranked)


def test_not_ready_nodes_in_one_zone_suggest_a_shift_below_alb_evidence() -> None:
    nodes = [
        {"name": "n1", "zone": "us-east-1c", "ready": False, "pressure": []},
        {"name": "n2", "zone": "us-east-1a", "ready": True, "pressure": []},
    ]
    ranked = inc.rank_mitigations(_findings(nodes=nodes), AZ_IDS)
    assert ranked[0]["action"] == "shift traffic away from us-east-1c (use1-az4)"
    assert ranked[0]["score"] == 70


def test_an_active_shift_away_from_the_zone_lowers_its_rank() -> None:
    bad = [
        {"zone": "us-east-1b", "requests": 1000.0, "errors_5xx": 300.0, "error_percent": 30.0},
        {"zone": "us-east-1a", "requests": 1000.0, "errors_5xx": 0.0, "error_percent": 0.0},
        {"zone": "us-east-1c", "requests": 1000.0, "errors_5xx": 0.0, "error_percent": 0.0},
    ]
    rds = [{"time": "2026-12-04T07:00:00+00:00", "message": "Multi-AZ instance failover started"}]
    ranked = inc.rank_mitigations(
        _findings(
            alb_errors={"web": bad},
            rds_events=rds,
            zonal_shifts={"active_shifts": [{"awayFrom": "use1-az2", "lb": "web"}]},
        ),
        AZ_IDS,
    )
    assert ranked[0]["action"] == "check the database (recent RDS events)"
    assert ranked[1]["action"].endswith("a shift away from it is already active")


def test_nothing_found_says_so() -> None:
    ranked = inc.rank_mitigations(_findings(), AZ_IDS)
    assert [o["score"] for o in ranked] == [0]
    assert ranked[0]["action"].startswith("no cause found")
