"""Shared local servers for the AWS commands: moto, the ARC emulator, fault proxies.

The servers start once per session on 127.0.0.1; each test gets a fresh environment that
points every AWS client at the proxies, a private audit log and a short poll interval, and
finds the ARC emulator and the proxies cleared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import cli
from tests.servers.arc_emulator import ArcServer
from tests.servers.fault_proxy import FaultProxy
from tests.servers.moto_server import (
    MotoServer,
    SeededStack,
    clear_metrics,
    reset_count,
    seed_stack,
)


@dataclass
class AwsLab:
    moto: MotoServer
    arc: ArcServer
    moto_proxy: FaultProxy
    arc_proxy: FaultProxy
    stack: SeededStack
    outputs_file: Path
    audit_log: Path

    @property
    def outputs(self) -> dict[str, Any]:
        return self.stack.outputs

    def run(self, *argv: str) -> int:
        """``commsec ARGV --outputs FILE --audit-log LOG``; returns the exit code."""
        return cli.main(
            [*argv, "--outputs", str(self.outputs_file), "--audit-log", str(self.audit_log)]
        )

    def existing_shift(
        self, tier: str, az: str, *, comment: str = "earlier", expires_in: str = "1h"
    ) -> dict[str, Any]:
        """A shift already active before the test's command, as another operator left it."""
        return dict(
            self.arc.emulator.start_zonal_shift(
                {
                    "resourceIdentifier": self.outputs[f"{tier}AlbArn"],
                    "awayFrom": self.stack.az_ids[az],
                    "expiresIn": expires_in,
                    "comment": comment,
                }
            )
        )

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_log.exists():
            return []
        return [json.loads(line) for line in self.audit_log.read_text().splitlines()]


def _seed(servers: dict[str, Any]) -> None:
    """Seed moto with a stack and write its outputs file; register its ALBs with ARC."""
    stack = seed_stack(servers["moto"].url)
    for key in ("webAlbArn", "appAlbArn"):
        servers["arc"].emulator.add_resource(
            stack.outputs[key], tuple(stack.outputs["availabilityZoneIds"])
        )
    servers["outputs_file"].write_text(json.dumps(stack.outputs), encoding="utf-8")
    servers["stack"] = stack
    servers["seeded_at"] = reset_count()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    moto = MotoServer().start()
    arc = ArcServer().start()
    moto_proxy = FaultProxy(moto.url).start()
    arc_proxy = FaultProxy(arc.url).start()
    found = {
        "moto": moto,
        "arc": arc,
        "moto_proxy": moto_proxy,
        "arc_proxy": arc_proxy,
        "outputs_file": tmp_path_factory.mktemp("stack") / "outputs.json",
    }
    _seed(found)
    yield found
    for server in (arc_proxy, moto_proxy, arc, moto):
        server.stop()


@pytest.fixture
def lab(
    servers: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsLab]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", servers["moto_proxy"].url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT", servers["arc_proxy"].url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("COMMSEC_AWS_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("COMMSEC_AWS_READ_TIMEOUT", "2")
    monkeypatch.setenv("COMMSEC_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("COMMSEC_NOW", raising=False)
    if servers["seeded_at"] != reset_count():
        _seed(servers)  # another test folder reset the process-wide moto backends
    servers["arc"].emulator.reset()
    clear_metrics()
    servers["arc_proxy"].clear()
    servers["moto_proxy"].clear()
    # moto has no AWS Health API: a minimal route answers DescribeEvents with no events.
    monkeypatch.setenv("AWS_ENDPOINT_URL_HEALTH", servers["moto_proxy"].url)
    servers["moto_proxy"].route(match="AWSHealth_20160804.DescribeEvents", payload={"events": []})
    yield AwsLab(
        moto=servers["moto"],
        arc=servers["arc"],
        moto_proxy=servers["moto_proxy"],
        arc_proxy=servers["arc_proxy"],
        stack=servers["stack"],
        outputs_file=servers["outputs_file"],
        audit_log=tmp_path / "audit.jsonl",
    )
    servers["arc_proxy"].clear()
    servers["moto_proxy"].clear()


@pytest.fixture
def eks(lab: AwsLab) -> Iterator[object]:
    """A direct EKS client on moto; the web node group is put back to 3..10, 3 afterwards."""
    client = boto3.client("eks", endpoint_url=lab.moto.url, region_name="us-east-1")
    yield client
    client.update_nodegroup_config(
        clusterName="commsec-cluster",
        nodegroupName="web-tier-nodes",
        scalingConfig={"minSize": 3, "maxSize": 10, "desiredSize": 3},
    )
