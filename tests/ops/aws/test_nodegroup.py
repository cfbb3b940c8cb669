"""``commsec scale nodegroup``: checked before the call, waited for after it."""

from __future__ import annotations

import json

import pytest

from ops.commands.nodegroup import plan_scaling
from ops.errors import InputError
from tests.ops.aws.conftest import AwsLab

_UPDATE = "/clusters/commsec-cluster/updates/"


def _scaling(eks) -> dict:
    group = eks.describe_nodegroup(clusterName="commsec-cluster", nodegroupName="web-tier-nodes")
    return {
        k: group["nodegroup"]["scalingConfig"][k] for k in ("minSize", "maxSize", "desiredSize")
    }


def _route_update(lab: AwsLab, *statuses: str) -> None:
    # NOTE: moto has no EKS DescribeUpdate; these minimal routes answer it the way EKS does.
    for status in statuses:
        lab.moto_proxy.route(
            match=_UPDATE,
            times=1,
            payload={
                "update": {
                    "id": "u-1",
                    "status": status,
                    "type": "ConfigUpdate",
                    "errors": [{"errorMessage": "capacity"}] if status == "Failed" else [],
                }
            },
        )


def test_scale_reads_keeps_bounds_and_waits(lab: AwsLab, eks, capsys) -> None:
    _route_update(lab, "InProgress", "InProgress", "Successful")
    assert lab.run("scale", "nodegroup", "web", "--desired", "6", "--yes", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"]["before"] == {"minSize": 3, "maxSize": 10, "desiredSize": 3}
    assert doc["result"]["after"] == {"minSize": 3, "maxSize": 10, "desiredSize": 6}
    assert _scaling(eks)["desiredSize"] == 6
    assert lab.moto_proxy.count(_UPDATE) == 3
    assert lab.audit()[0]["result"] == "succeeded"


def test_failed_update_is_an_error_and_audited(lab: AwsLab, eks, capsys) -> None:
    _route_update(lab, "Failed")
    assert lab.run("scale", "nodegroup", "web-tier-nodes", "--desired", "5", "--yes") == 1
    err = capsys.readouterr().err
    assert "ended Failed: capacity" in err
    assert lab.audit()[0]["result"].startswith("failed:")


def test_unchanged_size_is_a_no_op(lab: AwsLab, eks, capsys) -> None:
    assert lab.run("scale", "nodegroup", "web", "--desired", "3", "--yes") == 0
    assert "nothing to change" in capsys.readouterr().out
    assert lab.moto_proxy.count("/updates") == 0 and lab.audit() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["web", "--desired", "2"], "keeps at least 3 nodes"),
        (["web", "--desired", "4", "--min", "5"], "outside the node group's bounds 5..10"),
        (["web", "--desired", "12"], "outside the node group's bounds 3..10"),
        (["web", "--desired", "4", "--min", "6", "--max", "5"], "minimum 6 is above maximum 5"),
        (["web", "--desired", "4", "--max", "8"], "maximum of at least 10"),
        (["db-nodes", "--desired", "4"], "not one of this stack's node groups"),
        (["web", "--desired", "four"], "is not a whole number of nodes"),
    ],
)
def test_bad_combinations_are_refused_before_calling(lab: AwsLab, eks, capsys, argv, message):
    assert lab.run("scale", "nodegroup", *argv, "--yes") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and message in err and "\n" not in err
    assert lab.moto_proxy.count("UpdateNodegroupConfig") == 0
    assert _scaling(eks)["desiredSize"] == 3


def test_force_allows_going_below_the_floor(lab: AwsLab, eks, capsys) -> None:
    _route_update(lab, "Successful")
    assert (
        lab.run("scale", "nodegroup", "web", "--desired", "2", "--min", "2", "--force", "--yes")
        == 0
    )
    assert _scaling(eks) == {"minSize": 2, "maxSize": 10, "desiredSize": 2}


def test_a_new_minimum_never_leaves_desired_below_it() -> None:
    current = {"minSize": 3, "maxSize": 10, "desiredSize": 6}
    with pytest.raises(InputError, match=r"outside the node group's bounds 7\.\.10"):
        plan_scaling(current, desired=6, minimum=7, maximum=None, force=False)
    assert plan_scaling(current, desired=7, minimum=7, maximum=None, force=False) == {
        "minSize": 7,
        "maxSize": 10,
        "desiredSize": 7,
    }
