"""The ARC emulator enforces the service's documented rules, through an unmodified boto3."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.ops.aws.conftest import AwsLab
from tests.servers.arc_emulator import ArcError


@pytest.fixture
def arc(lab: AwsLab):
    return boto3.client("arc-zonal-shift", endpoint_url=lab.arc.url, region_name="us-east-1")


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], str(info.value.response.get("reason"))


def _start(lab: AwsLab, **overrides):
    request = {
        "resourceIdentifier": lab.outputs["webAlbArn"],
        "awayFrom": lab.stack.az_ids["us-east-1a"],
        "expiresIn": "1h",
        "comment": "test",
    }
    return {**request, **overrides}


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"awayFrom": "us-east-1a"}, "ValidationException", "InvalidAz"),
        ({"awayFrom": "use1-az9"}, "ValidationException", "UnsupportedAz"),
        ({"expiresIn": "73h"}, "ValidationException", "InvalidExpiresIn"),
        ({"expiresIn": "2d"}, "ValidationException", "InvalidExpiresIn"),
        (
            {"resourceIdentifier": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/y"},
            "ResourceNotFoundException",
            "None",
        ),
    ],
)
def test_start_rules(lab: AwsLab, arc, overrides, code, reason) -> None:
    assert _error(arc.start_zonal_shift, **_start(lab, **overrides)) == (code, reason)


def test_one_active_shift_per_resource_and_only_active_ones_change(lab: AwsLab, arc) -> None:
    shift = arc.start_zonal_shift(**_start(lab))
    assert _error(arc.start_zonal_shift, **_start(lab)) == (
        "ConflictException",
        "ZonalShiftAlreadyExists",
    )
    arc.cancel_zonal_shift(zonalShiftId=shift["zonalShiftId"])
    assert _error(arc.update_zonal_shift, zonalShiftId=shift["zonalShiftId"], comment="x") == (
        "ConflictException",
        "ZonalShiftStatusNotActive",
    )
    assert arc.start_zonal_shift(**_start(lab))["status"] == "ACTIVE"


def test_list_pages_and_filters(lab: AwsLab, arc) -> None:
    for tier in ("webAlbArn", "appAlbArn"):
        shift = arc.start_zonal_shift(**_start(lab, resourceIdentifier=lab.outputs[tier]))
        arc.cancel_zonal_shift(zonalShiftId=shift["zonalShiftId"])
    arc.start_zonal_shift(**_start(lab))
    first = arc.list_zonal_shifts(maxResults=2)
    assert len(first["items"]) == 2 and "nextToken" in first
    rest = arc.list_zonal_shifts(maxResults=2, nextToken=first["nextToken"])
    assert len(rest["items"]) == 1 and "nextToken" not in rest
    active = arc.list_zonal_shifts(status="ACTIVE")["items"]
    assert [s["status"] for s in active] == ["ACTIVE"]


def test_autoshift_needs_a_practice_configuration_with_an_outcome_alarm(lab: AwsLab, arc):
    web = lab.outputs["webAlbArn"]
    assert _error(
        arc.update_zonal_autoshift_configuration,
        resourceIdentifier=web,
        zonalAutoshiftStatus="ENABLED",
    ) == ("ConflictException", "PracticeConfigurationDoesNotExist")
    # boto3 itself refuses an empty outcomeAlarms list, so the rule is checked in-process
    with pytest.raises(ArcError, match="outcomeAlarms needs at least one alarm"):
        lab.arc.emulator.create_practice_run_configuration({"resourceIdentifier": web})
    alarm = [{"type": "CLOUDWATCH", "alarmIdentifier": "arn:aws:cloudwatch:::alarm:x"}]
    assert _error(
        arc.create_practice_run_configuration,
        resourceIdentifier=web,
        outcomeAlarms=alarm,
        allowedWindows=["Mon:23:00-Tue:01:00"],
    ) == ("ValidationException", "InvalidPracticeWindows")
    arc.create_practice_run_configuration(
        resourceIdentifier=web, outcomeAlarms=alarm, allowedWindows=["Tue:14:00-Tue:17:00"]
    )
    done = arc.update_zonal_autoshift_configuration(
        resourceIdentifier=web, zonalAutoshiftStatus="ENABLED"
    )
    assert done["zonalAutoshiftStatus"] == "ENABLED"
    resource = arc.get_managed_resource(resourceIdentifier=web)
    assert resource["practiceRunConfiguration"]["allowedWindows"] == ["Tue:14:00-Tue:17:00"]


def test_expired_shift_is_no_longer_active(lab: AwsLab, arc) -> None:
    shift = arc.start_zonal_shift(**_start(lab, expiresIn="1m"))
    lab.arc.emulator.state.shifts[-1].expiry -= 61  # a minute passes
    [item] = arc.list_zonal_shifts()["items"]
    assert item["zonalShiftId"] == shift["zonalShiftId"] and item["status"] == "EXPIRED"
