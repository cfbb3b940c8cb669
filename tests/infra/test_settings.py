"""Every settings rule stops the run before any resource, naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.settings import SettingsError
from ops import cli
from ops.plan import engine
from tests.infra.conftest import stack_file, write_stack

PROD_WEB = {"instanceType": "m6i.xlarge", "minSize": 3, "maxSize": 10, "desiredSize": 6}
WORKLOAD = {
    "image": "333333333333.dkr.ecr.us-east-1.amazonaws.com/commsec/frontend:2.14.3",
    "minReplicas": 3,
    "maxReplicas": 20,
    "cpuRequest": "1",
    "memoryRequest": "2Gi",
    "cpuLimit": "2",
    "memoryLimit": "4Gi",
}


def _workloads(**frontend: Any) -> dict[str, Any]:
    return {
        "frontend": {**WORKLOAD, **frontend},
        "api-gateway": WORKLOAD,
        "trading-service": WORKLOAD,
    }


# (case id, config changes, the key the error must name)
BAD = [
    ("two AZs", {"availabilityZones": ["us-east-1a", "us-east-1b"]}, "availabilityZones"),
    ("repeated AZ", {"availabilityZones": ["us-east-1a"] * 3}, "availabilityZones"),
    (
        "AZ of another region",
        {"availabilityZones": ["us-east-1a", "us-east-1b", "eu-west-1c"]},
        "availabilityZones",
    ),
    ("AZs not a list", {"availabilityZones": "us-east-1a"}, "availabilityZones"),
    ("bad region", {"aws:region": "useast1"}, "aws:region"),
    ("unknown environment", {"environment": "qa"}, "environment"),
    ("missing owner", {"owner": None}, "owner"),
    ("VPC CIDR malformed", {"vpcCidr": "10.30.0.0/33"}, "vpcCidr"),
    (
        "overlapping CIDR",
        {"privateSubnetCidrs": ["10.30.0.0/20", "10.30.80.0/20", "10.30.96.0/20"]},
        "privateSubnetCidrs",
    ),
    (
        "subnet outside the VPC",
        {"databaseSubnetCidrs": ["10.30.128.0/20", "10.30.144.0/20", "10.99.0.0/20"]},
        "databaseSubnetCidrs",
    ),
    (
        "two public subnets",
        {"publicSubnetCidrs": ["10.30.0.0/20", "10.30.16.0/20"]},
        "publicSubnetCidrs",
    ),
    ("API open to the world", {"apiPublicAccessCidrs": ["0.0.0.0/0"]}, "apiPublicAccessCidrs"),
    (
        "unknown node family",
        {"webNodeGroup": {**PROD_WEB, "instanceType": "m6.large"}},
        "webNodeGroup.instanceType",
    ),
    (
        "node group min below 3",
        {"appNodeGroup": {**PROD_WEB, "minSize": 2, "desiredSize": 2}},
        "appNodeGroup.minSize",
    ),
    (
        "node group max below 10",
        {"webNodeGroup": {**PROD_WEB, "maxSize": 8}},
        "webNodeGroup.maxSize",
    ),
    (
        "desired above max",
        {"webNodeGroup": {**PROD_WEB, "desiredSize": 12}},
        "webNodeGroup.desiredSize",
    ),
    (
        "node count not a number",
        {"webNodeGroup": {**PROD_WEB, "minSize": "three"}},
        "webNodeGroup.minSize",
    ),
    (
        "certificate of another region",
        {"cloudfrontCertificateArn": "arn:aws:acm:ap-southeast-2:333333333333:certificate/0a1b-2c"},
        "cloudfrontCertificateArn",
    ),
    ("certificate not an ARN", {"webCertificateArn": "my-cert"}, "webCertificateArn"),
    ("LCU below the floor", {"webAlbCapacityUnits": 50}, "webAlbCapacityUnits"),
    ("production without LCU reservation", {"webAlbCapacityUnits": 0}, "webAlbCapacityUnits"),
    ("LCU not a number", {"webAlbCapacityUnits": "lots"}, "webAlbCapacityUnits"),
    ("log retention CloudWatch rejects", {"logRetentionDays": 45}, "logRetentionDays"),
    ("domain not a DNS name", {"webDomainName": "trade commsec"}, "webDomainName"),
    ("Kubernetes version malformed", {"kubernetesVersion": "latest"}, "kubernetesVersion"),
    ("unknown DB class family", {"dbInstanceClass": "db.x9z.large"}, "dbInstanceClass"),
    ("DB class without db. prefix", {"dbInstanceClass": "r6g.large"}, "dbInstanceClass"),
    ("PostgreSQL 15", {"dbEngineVersion": "15.8"}, "dbEngineVersion"),
    ("storage ceiling below size", {"dbMaxAllocatedStorage": 100}, "dbMaxAllocatedStorage"),
    ("retention not a number", {"backupRetentionDays": "thirty-five"}, "backupRetentionDays"),
    ("retention too short", {"backupRetentionDays": 7}, "backupRetentionDays"),
    ("malformed e-mail", {"alertEmail": "oncall-at-commsec"}, "alertEmail"),
    (
        "image on latest",
        {"workloads": _workloads(image="registry.example.com/commsec/web:latest")},
        "workloads.frontend.image",
    ),
    (
        "image unpinned",
        {"workloads": _workloads(image="registry.example.com/commsec/web")},
        "workloads.frontend.image",
    ),
    ("one replica", {"workloads": _workloads(minReplicas=1)}, "workloads.frontend.minReplicas"),
    (
        "bad quantity",
        {"workloads": _workloads(memoryLimit="4 gigs")},
        "workloads.frontend.memoryLimit",
    ),
    ("workload missing", {"workloads": {"frontend": WORKLOAD}}, "workloads.api-gateway"),
    ("misspelt key", {"logRetentionDayz": 365}, "logRetentionDayz"),
    (
        "misspelt node-group field",
        {"webNodeGroup": {**PROD_WEB, "desiredSiz": 6}},
        "webNodeGroup.desiredSiz",
    ),
    (
        "misspelt workload field",
        {"workloads": _workloads(cpuLimt="2")},
        "workloads.frontend.cpuLimt",
    ),
    (
        "unknown workload",
        {"workloads": {**_workloads(), "frontendd": WORKLOAD}},
        "workloads.frontendd",
    ),
    # Upper bounds and shapes from the services' documented limits.
    (
        "node group above the EKS nodes-per-group quota",
        {"webNodeGroup": {**PROD_WEB, "maxSize": 1000}},
        "webNodeGroup.maxSize",
    ),
    (
        "node group of 1e20 nodes",
        {"appNodeGroup": {**PROD_WEB, "maxSize": 10**20}},
        "appNodeGroup.maxSize",
    ),
    (
        "node group min above max",
        {"webNodeGroup": {**PROD_WEB, "minSize": 12, "desiredSize": 11}},
        "webNodeGroup.maxSize",
    ),
    (
        "instance size that does not exist",
        {"webNodeGroup": {**PROD_WEB, "instanceType": "m6i.gigantic"}},
        "webNodeGroup.instanceType",
    ),
    (
        "DB class size that does not exist",
        {"dbInstanceClass": "db.r6g.gigantic"},
        "dbInstanceClass",
    ),
    (
        "storage above the RDS maximum",
        {"dbAllocatedStorage": 10**9, "dbMaxAllocatedStorage": 10**9},
        "dbAllocatedStorage",
    ),
    (
        "storage ceiling above the RDS maximum",
        {"dbMaxAllocatedStorage": 70000},
        "dbMaxAllocatedStorage",
    ),
    ("storage below the RDS minimum", {"dbAllocatedStorage": 10}, "dbAllocatedStorage"),
    ("LCU above the reservation quota", {"webAlbCapacityUnits": 10**12}, "webAlbCapacityUnits"),
    ("owner longer than a tag value", {"owner": "x" * 5000}, "owner"),
    ("owner with a bidi override", {"owner": "platform\u202eteam"}, "owner"),
    ("owner with a control character", {"owner": "platform\x07team"}, "owner"),
    ("cost centre with a newline", {"costCentre": "CC-4410\nPROD"}, "costCentre"),
    (
        "CPU request above its limit",
        {"workloads": _workloads(cpuRequest="3", cpuLimit="2")},
        "workloads.frontend.cpuRequest",
    ),
    (
        "memory request above its limit",
        {"workloads": _workloads(memoryRequest="8Gi", memoryLimit="4Gi")},
        "workloads.frontend.memoryRequest",
    ),
    (
        "CPU request of zero",
        {"workloads": _workloads(cpuRequest="0")},
        "workloads.frontend.cpuRequest",
    ),
    ("CPU limit of 0m", {"workloads": _workloads(cpuLimit="0m")}, "workloads.frontend.cpuLimit"),
    (
        "CPU written as memory",
        {"workloads": _workloads(cpuLimit="512Mi")},
        "workloads.frontend.cpuLimit",
    ),
    (
        "workload max below min",
        {"workloads": _workloads(minReplicas=5, maxReplicas=3)},
        "workloads.frontend.maxReplicas",
    ),
    ("missing region", {"aws:region": None}, "aws:region"),
]


@pytest.mark.parametrize(("changes", "key"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_setting_stops_before_any_resource(
    tmp_path: Path, changes: dict[str, Any], key: str
) -> None:
    path = write_stack(tmp_path, "prod", changes)
    with pytest.raises(SettingsError) as raised:
        engine.run("prod", path)
    assert raised.value.key == key
    message = str(raised.value)
    assert key in message and "; " in message, message
    assert "0 resources were registered before the failure" in raised.value.__notes__


def test_cli_reports_a_bad_stack_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack(tmp_path, "prod", {"availabilityZones": ["us-east-1a", "us-east-1b"]})
    code = cli.main(["plan", "prod", "--stack-file", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("Error: "), err
    assert "commsec-platform:availabilityZones" in err[0]
    assert "three distinct Availability Zones" in err[0]
    assert not (tmp_path / "out" / "plan.json").exists()


def test_misspelt_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write_stack(tmp_path, "prod", {"logRetentionDayz": 365})
    with pytest.raises(SettingsError, match="did you mean logRetentionDays"):
        engine.run("prod", path)


def test_stack_file_of_another_environment_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "plan",
            "dev",
            "--stack-file",
            str(stack_file("prod")),
            "--no-checkov",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "declares environment 'prod'" in err and "planned as stack 'dev'" in err


@pytest.mark.parametrize("where", ["directory", "file-parent"])
def test_unwritable_out_directory_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    out = blocker / "sub" if where == "file-parent" else blocker
    code = cli.main(["plan", "dev", "--no-checkov", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"Error: --out {out}: cannot write"), err


def test_stack_file_that_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "prod", "--stack-file", str(tmp_path)]) == 2
    assert "is a directory, not a stack file" in capsys.readouterr().err


def test_unknown_stack_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "qa"]) == 2
    err = capsys.readouterr().err
    assert "no stack file for stack 'qa'" in err and "dev, prod, staging" in err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("config: [1, 2", "not valid YAML"), ("config: 3\n", "no 'config:' mapping")],
)
def test_unreadable_stack_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(text)
    assert cli.main(["plan", "prod", "--stack-file", str(path)]) == 2
    assert fragment in capsys.readouterr().err


def test_secure_values_are_secrets_not_decrypted(tmp_path: Path) -> None:
    path = write_stack(tmp_path, "dev", {"dbNote": {"secure": "v1:AAAAbase64ciphertext"}})
    config, secrets = engine.load_stack_config(path)
    assert secrets == ["commsec-platform:dbNote"]
    assert config["commsec-platform:dbNote"] == engine.SECRET_PLACEHOLDER
    assert config["commsec-platform:webNodeGroup"].startswith("{")
    assert config["aws:region"] == "us-east-1"
    assert stack_file("dev").read_text().count("secure:") == 0


@pytest.mark.parametrize(
    ("changes", "start", "rule"),
    [
        ({"aws:region": None}, "aws:region: is required", "pulumi config set aws:region"),
        ({"aws:region": "useast1"}, "aws:region = 'useast1'", "not an AWS region"),
        (
            {"workloads": _workloads(minReplicas=5, maxReplicas=3)},
            "commsec-platform:workloads.frontend.maxReplicas = '3'",
            "must be at least minReplicas (5); raise maxReplicas to 5 or more",
        ),
        (
            {"webNodeGroup": {**PROD_WEB, "minSize": 12, "desiredSize": 11}},
            "commsec-platform:webNodeGroup.maxSize = '10'",
            "must be at least minSize (12); raise maxSize to 12 or more",
        ),
        (
            {"webNodeGroup": {**PROD_WEB, "maxSize": 1000}},
            "commsec-platform:webNodeGroup.maxSize = '1000'",
            "at most 450 (the EKS quota of nodes per managed node group)",
        ),
        (
            {"owner": "x" * 5000},
            "commsec-platform:owner = 'xxxx",
            "is 5000 characters; an AWS tag value holds at most 256",
        ),
        (
            {"owner": "platform\u202eteam"},
            "commsec-platform:owner",
            "U+202E (RIGHT-TO-LEFT OVERRIDE)",
        ),
    ],
    ids=[
        "region missing",
        "region malformed",
        "replicas max below min",
        "nodes min above max",
        "nodes above quota",
        "tag too long",
        "tag bidi",
    ],
)
def test_message_names_the_real_key_and_rule(
    tmp_path: Path, changes: dict[str, Any], start: str, rule: str
) -> None:
    path = write_stack(tmp_path, "prod", changes)
    with pytest.raises(SettingsError) as raised:
        engine.run("prod", path)
    message = str(raised.value)
    assert message.startswith(start), message
    assert rule in message, message
    # A hostile value is shortened, so the one-line error stays readable.
    assert len(message) < 400, message
