"""The operating requirements as checks over an offline plan.

Each check raises ``AssertionError`` naming the resource's URN. The same checks run over
every stack's plan and over deliberately broken copies of a plan, which proves each one can
fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from infra import contract, market
from ops.plan.engine import AUTOSHIFT_TYPE, PlanResult, RecordedResource

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ALB = "aws:lb/loadBalancer:LoadBalancer"
NODE_GROUP = "eks:index:ManagedNodeGroup"
RDS = "aws:rds/instance:Instance"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"

# Sydney DST 2026: AEDT ends Sunday 5 April, AEST ends (AEDT starts) Sunday 4 October.
DST_EDGE_DATES = (
    date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6), date(2026, 4, 7),
    date(2026, 10, 2), date(2026, 10, 4), date(2026, 10, 5), date(2026, 10, 6),
)  # fmt: skip


def subnets_by_tier(plan: PlanResult) -> dict[str, dict[str, RecordedResource]]:
    """tier -> subnet id -> subnet, using the ids the mock assigned."""
    tiers: dict[str, dict[str, RecordedResource]] = {}
    for subnet in plan.of_type(SUBNET):
        tiers.setdefault(subnet.inputs["tags"]["tier"], {})[subnet.id] = subnet
    return tiers


def zones_of(plan: PlanResult, tier: str, subnet_ids: list[str]) -> list[str]:
    subnets = subnets_by_tier(plan)[tier]
    return [subnets[i].inputs["availabilityZone"] for i in subnet_ids if i in subnets]


def check_three_azs_per_tier(plan: PlanResult) -> None:
    tiers = subnets_by_tier(plan)
    assert set(tiers) == {"public", "private", "database"}, sorted(tiers)
    for tier, subnets in tiers.items():
        zones = [s.inputs["availabilityZone"] for s in subnets.values()]
        assert len(zones) == 3 and len(set(zones)) == 3, f"{tier} subnets in {zones}"
    assert plan.outputs["availabilityZones"] == sorted(
        s.inputs["availabilityZone"] for s in tiers["private"].values()
    )


def check_nat_per_az(plan: PlanResult) -> None:
    nats = plan.of_type(NAT)
    zones = zones_of(plan, "public", [n.inputs["subnetId"] for n in nats])
    assert len(nats) == 3, [n.urn for n in nats]
    assert len(set(zones)) == 3, f"NAT gateways in {zones}"


def check_node_groups(plan: PlanResult) -> None:
    groups = {g.inputs["nodeGroupName"]: g for g in plan.of_type(NODE_GROUP)}
    assert set(groups) == {contract.WEB_NODE_GROUP, contract.APP_NODE_GROUP}, sorted(groups)
    for group in groups.values():
        scaling = group.inputs["scalingConfig"]
        assert scaling["minSize"] >= contract.NODE_GROUP_MIN_FLOOR, group.urn
        assert scaling["maxSize"] >= contract.NODE_GROUP_MAX_FLOOR, group.urn
        assert scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"], group.urn
        assert group.inputs["ignoreScalingChanges"] is True, group.urn
        zones = zones_of(plan, "private", group.inputs["subnetIds"])
        assert len(set(zones)) == 3 and len(zones) == 3, f"{group.urn} in {zones}"


def check_load_balancers(plan: PlanResult) -> None:
    albs = {a.inputs["name"]: a for a in plan.of_type(ALB)}
    assert set(albs) == {contract.WEB_ALB_NAME, contract.APP_ALB_NAME}, sorted(albs)
    assert albs[contract.WEB_ALB_NAME].inputs["internal"] is False
    assert albs[contract.APP_ALB_NAME].inputs["internal"] is True
    tiers = {contract.WEB_ALB_NAME: "public", contract.APP_ALB_NAME: "private"}
    for name, alb in albs.items():
        assert alb.inputs.get("enableZonalShift") is True, f"{alb.urn}: zonal shift off"
        assert alb.inputs.get("dropInvalidHeaderFields") is True, alb.urn
        assert alb.inputs.get("enableDeletionProtection") is True, alb.urn
        assert alb.inputs["accessLogs"]["enabled"] is True, alb.urn
        zones = zones_of(plan, tiers[name], alb.inputs["subnets"])
        assert len(set(zones)) == 3, f"{alb.urn} in {zones}"


def check_lcu_reservation(plan: PlanResult) -> None:
    web = next(a for a in plan.of_type(ALB) if a.inputs["name"] == contract.WEB_ALB_NAME)
    units = (web.inputs.get("minimumLoadBalancerCapacity") or {}).get("capacityUnits", 0)
    if plan.stack == "prod":
        assert units >= 100, f"{web.urn}: production LCU reservation is {units}"


def _instances(window: market.Window, around: date) -> list[tuple[datetime, datetime]]:
    """The concrete UTC occurrences of a weekly window in the weeks around ``around``."""
    monday = around - timedelta(days=around.weekday())
    result = []
    for week in (-1, 0, 1):
        base = datetime.combine(monday + timedelta(weeks=week), datetime.min.time(), UTC)
        result.append(
            (base + timedelta(minutes=window.start), base + timedelta(minutes=window.end))
        )
    return result


def trading_clashes(windows: list[market.Window], dates: tuple[date, ...]) -> list[str]:
    """Every overlap of ``windows`` with a real ASX session (10:00-16:00 Sydney) near ``dates``.

    Sessions come from the calendar's open and close in ``Australia/Sydney``, so each date's
    own UTC offset applies: this is the check that a window is safe on both sides of DST.
    """
    clashes = []
    for day in dates:
        for offset in range(-2, 3):
            trading_day = day + timedelta(days=offset)
            if not market.is_trading_day(trading_day):
                continue
            opening, closing = market.session_utc(trading_day)
            for window in windows:
                for start, end in _instances(window, trading_day):
                    if start < closing and opening < end:
                        clashes.append(f"{window.describe()} overlaps the {trading_day} session")
    return clashes


def check_autoshift(plan: PlanResult) -> None:
    configs = plan.of_type(AUTOSHIFT_TYPE)
    albs = {a.id: a.inputs["name"] for a in plan.of_type(ALB)}
    alarms = {f"{a.inputs['name']}" for a in plan.of_type(ALARM)}
    covered = {albs.get(c.inputs["resourceArn"]) for c in configs}
    assert covered == {contract.WEB_ALB_NAME, contract.APP_ALB_NAME}, covered
    for config in configs:
        assert config.inputs["zonalAutoshiftStatus"] == "ENABLED", config.urn
        outcome = config.inputs.get("outcomeAlarms") or []
        assert outcome, f"{config.urn}: no outcome alarm"
        for alarm in outcome:
            assert alarm["alarmIdentifier"].rsplit(":", 1)[-1] in alarms, alarm
        windows = [market.parse_arc_window(w) for w in config.inputs["allowedWindows"]]
        assert windows, f"{config.urn}: no practice-run windows"
        for window in windows:
            # Parsing enforces one UTC day; also make sure none crosses midnight.
            assert window.start // market.DAY_MINUTES == (window.end - 1) // market.DAY_MINUTES
        clashes = trading_clashes(windows, DST_EDGE_DATES)
        assert not clashes, f"{config.urn}: {clashes[:3]}"


def check_database(plan: PlanResult) -> None:
    (db,) = plan.of_type(RDS)
    i = db.inputs
    assert i["identifier"] == contract.DB_INSTANCE_IDENTIFIER
    assert i["engine"] == "postgres" and i["engineVersion"].startswith("16."), db.urn
    assert i["dbName"] == contract.DB_NAME and i["username"] == contract.DB_MASTER_USERNAME
    assert i["multiAz"] is True and "availabilityZone" not in i, f"{db.urn}: Multi-AZ"
    assert i["backupRetentionPeriod"] == contract.BACKUP_RETENTION_DAYS, db.urn
    assert i["storageEncrypted"] is True and i["kmsKeyId"].startswith("arn:aws:kms:"), db.urn
    assert i["publiclyAccessible"] is False, db.urn
    assert i["deletionProtection"] is True and i["skipFinalSnapshot"] is False, db.urn
    assert i["finalSnapshotIdentifier"], db.urn
    assert i["deleteAutomatedBackups"] is False, db.urn
    assert i["manageMasterUserPassword"] is True and "password" not in i, db.urn
    assert i["performanceInsightsEnabled"] is True, db.urn
    backup = market.parse_daily_window(i["backupWindow"])
    maintenance = market.parse_weekly_window(i["maintenanceWindow"])
    assert not any(b.overlaps(m) for b in backup for m in maintenance), db.urn
    assert market.is_off_peak(backup) and market.is_off_peak(maintenance), db.urn
    assert not trading_clashes(backup + maintenance, DST_EDGE_DATES), db.urn


def check_alarms(plan: PlanResult) -> None:
    topic = plan.outputs["alertsTopicArn"]
    assert topic.endswith(f":{contract.ALERTS_TOPIC_NAME}")
    alarms = plan.of_type(ALARM)
    for alarm in alarms:
        assert alarm.inputs.get("alarmActions") == [topic], f"{alarm.urn} does not notify"
    metrics = {(a.inputs["namespace"], a.inputs["metricName"]) for a in alarms}
    for required in ((r.namespace, r.metric) for r in contract.REQUIRED_ALARMS):
        assert required in metrics, f"no alarm on {required}"
    errors = [a for a in alarms if a.inputs["metricName"] == "HTTPCode_Target_5XX_Count"]
    assert len(errors) == 2
    for alarm in errors:
        i = alarm.inputs
        runbook = (i["statistic"], i["period"], i["threshold"], i["evaluationPeriods"])
        assert runbook == ("Sum", 60, 100, 2), f"{alarm.urn}: {runbook}"
        assert i["comparisonOperator"] == "GreaterThanThreshold", alarm.urn


def check_workloads(plan: PlanResult) -> None:
    deployments = {d.inputs["metadata"]["name"]: d for d in plan.of_type(DEPLOYMENT)}
    assert set(deployments) == set(contract.DEPLOYMENTS), sorted(deployments)
    for deployment in deployments.values():
        assert deployment.inputs["metadata"]["namespace"] == contract.NAMESPACE
        pod = deployment.inputs["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, deployment.urn
        keys = [c["topologyKey"] for c in pod["topologySpreadConstraints"]]
        assert "topology.kubernetes.io/zone" in keys, deployment.urn
        for container in pod["containers"]:
            assert container["readinessProbe"] and container["livenessProbe"], deployment.urn
            assert container["resources"]["requests"] and container["resources"]["limits"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            image = container["image"]
            assert "@sha256:" in image or not image.endswith(":latest"), image
    hpas = {h.inputs["metadata"]["name"]: h for h in plan.of_type(HPA)}
    for name, target in contract.HPAS.items():
        assert name in hpas, f"no HorizontalPodAutoscaler {name}"
        spec = hpas[name].inputs["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": target,
        }
        assert 2 <= spec["minReplicas"] <= spec["maxReplicas"]


def check_outputs(plan: PlanResult) -> None:
    assert set(plan.outputs) == contract.OUTPUT_NAMES, sorted(
        set(plan.outputs) ^ contract.OUTPUT_NAMES
    )
    for spec in contract.OUTPUTS:
        value = plan.outputs[spec.name]
        if spec.kind == "str_list":
            assert isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        elif spec.kind == "int":
            assert isinstance(value, int), spec.name
        else:
            assert isinstance(value, str) and value, spec.name
    assert "kubeconfig" in plan.secret_outputs
    assert len(set(plan.outputs["availabilityZoneIds"])) == 3


CHECKS = (
    check_three_azs_per_tier,
    check_nat_per_az,
    check_node_groups,
    check_load_balancers,
    check_lcu_reservation,
    check_autoshift,
    check_database,
    check_alarms,
    check_workloads,
    check_outputs,
)
