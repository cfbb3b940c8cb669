"""The pack loads under the Pulumi CLI's contract and judges like the offline evaluation.

The CLI starts ``python policies`` (the pack's ``__main__.py``), reads the port it prints and
talks to it over gRPC as an Analyzer. This test does the same on 127.0.0.1, so the very
``PolicyPack`` the CLI would load is checked against the offline verdicts.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ops.plan.evaluate import evaluate_pack
from policies.rules import PACK_NAME, POLICIES
from tests.policies.conftest import ROOT, find, resources_of

DB = "commsec-db-instance"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    process = subprocess.Popen(
        [sys.executable, "policies"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            error = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"the pack did not start: {line!r} {error[-500:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=20)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(inputs)
    return value


def test_pack_advertises_every_policy(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    assert info.name == PACK_NAME
    assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    assert all(p.enforcementLevel == analyzer_pb2.MANDATORY for p in info.policies)


def test_resource_verdict_matches_offline(analyzer: Any) -> None:
    resources = resources_of("prod")
    db = find(resources, DB)
    db["inputs"]["multiAz"] = False
    request = analyzer_pb2.AnalyzeRequest(
        type=db["type"], properties=_struct(db["inputs"]), urn=db["urn"], name=db["name"]
    )

    online = analyzer.Analyze(request, timeout=30).diagnostics
    offline = [v for v in evaluate_pack(resources, stack="prod") if v["urn"] == db["urn"]]

    assert [d.policyName for d in online] == [v["policy"] for v in offline] == ["rds-multi-az"]
    assert online[0].enforcementLevel == analyzer_pb2.MANDATORY
    # The SDK prefixes the description; the rule's own message follows it.
    assert online[0].message.endswith(offline[0]["message"])


def test_stack_verdict_matches_offline(analyzer: Any) -> None:
    resources = resources_of("prod")
    find(resources, "commsec-monitoring-web-alb-5xx")["inputs"]["threshold"] = 50
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r["type"],
                properties=_struct(r["inputs"]),
                urn=r["urn"],
                name=r["name"],
                parent=r["parent"] or "",
            )
            for r in resources
        ]
    )

    online = analyzer.AnalyzeStack(request, timeout=60).diagnostics
    offline = [v for v in evaluate_pack(resources, stack="prod") if v["policy"] == "alb-5xx-alarm"]

    # Every stack policy ran on both sides; only the broken alarm requirement reports, once
    # per 5XX alarm (web and app), with the same messages and URNs.
    assert {d.policyName for d in online} == {"alb-5xx-alarm"}
    assert sorted((d.urn, d.message.split("\n", 1)[1]) for d in online) == sorted(
        (v["urn"], v["message"]) for v in offline
    )
    assert any("threshold is 50 (expected 100)" in v["message"] for v in offline)
