"""The fault proxy names REST-JSON operations from the request path, so routes and faults can
match an EKS or ARC operation by name like a query or JSON one."""

from __future__ import annotations

import pytest

from tests.ops.aws.conftest import AwsLab
from tests.servers.fault_proxy import rest_operation


@pytest.mark.parametrize(
    ("service", "method", "path", "operation"),
    [
        ("eks", "GET", "/clusters/c/updates/u-1?nodegroupName=web", "DescribeUpdate"),
        ("eks", "GET", "/clusters/c/updates", "ListUpdates"),
        ("eks", "POST", "/clusters/c/node-groups/web/update-config", "UpdateNodegroupConfig"),
        ("eks", "GET", "/clusters/c/node-groups/web", "DescribeNodegroup"),
        ("eks", "GET", "/clusters/c", "DescribeCluster"),
        ("arc-zonal-shift", "POST", "/zonalshifts", "StartZonalShift"),
        ("arc-zonal-shift", "GET", "/zonalshifts?status=ACTIVE", "ListZonalShifts"),
        ("arc-zonal-shift", "PATCH", "/zonalshifts/abc", "UpdateZonalShift"),
        ("arc-zonal-shift", "DELETE", "/zonalshifts/abc", "CancelZonalShift"),
        ("eks", "GET", "/nothing/here", None),
        ("rds", "POST", "/", None),  # query protocol: the operation is in the body
        ("no-such-service", "GET", "/", None),
    ],
)
def test_rest_operation_from_method_and_path(service, method, path, operation) -> None:
    assert rest_operation(service, method, path) == operation


@pytest.mark.parametrize("match", ["DescribeUpdate", "eks:DescribeUpdate", "/updates/"])
def test_a_route_by_operation_name_answers_describe_update(lab: AwsLab, eks, capsys, match):
    lab.moto_proxy.route(
        match=match,
        payload={"update": {"id": "u-1", "status": "Successful", "type": "ConfigUpdate"}},
    )
    assert lab.run("scale", "nodegroup", "web", "--desired", "4", "--yes") == 0
    assert "successful" in capsys.readouterr().out
    [request] = lab.moto_proxy.requests("eks:DescribeUpdate")
    assert request.startswith("GET /clusters/commsec-cluster/updates/")
    assert lab.moto_proxy.count("eks:UpdateNodegroupConfig") == 1


def test_a_fault_by_operation_name_hits_only_that_operation(lab: AwsLab, eks, capsys) -> None:
    lab.moto_proxy.arm("throttle", match="eks:UpdateNodegroupConfig")
    assert lab.run("scale", "nodegroup", "web", "--desired", "4", "--yes") == 1
    assert "UpdateNodegroupConfig web-tier-nodes was throttled" in capsys.readouterr().err
    assert lab.moto_proxy.count("eks:DescribeNodegroup") == 1  # read before, not throttled
    assert lab.moto_proxy.count("eks:UpdateNodegroupConfig") == 2  # both attempts
