"""RDS look-ups shared by ``db failover`` and ``backup``: plain functions over a client."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ops.errors import InputError, aws_errors

# RDS tag values: at most 256 Unicode letters, separators (spaces), numbers and these symbols
# (the API's pattern is ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$); anything else fails the call.
_TAG_VALUE_MAX = 256
_TAG_VALUE_SYMBOLS = frozenset("_.:/=+-@")


def describe_instance(rds: Any, identifier: str) -> dict[str, Any]:
    with aws_errors(f"DescribeDBInstances {identifier}"):
        return dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])


def instance_exists(rds: Any, identifier: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        rds.describe_db_instances(DBInstanceIdentifier=identifier)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            return False
        with aws_errors(f"DescribeDBInstances {identifier}"):
            raise
    return True


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class RestoreWindow:
    earliest: datetime
    latest: datetime
    estimated: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "estimated": self.estimated,
        }


def restorable_window(rds: Any, instance: dict[str, Any]) -> RestoreWindow:
    """The point-in-time window: the automated backups' ``RestoreWindow`` when RDS gives it.

    NOTE: without a ``RestoreWindow`` (an emulator, or a backup still being set up) the
    earliest time is estimated as the later of the instance's creation and the retention
    period before the latest restorable time; the result says ``estimated`` so nobody mistakes
    it for RDS's own answer.
    """
    identifier = instance["DBInstanceIdentifier"]
    latest = instance.get("LatestRestorableTime")
    if latest is None:
        raise InputError(
            f"{identifier} has no restorable time: automated backups are off or not ready",
            hint="check BackupRetentionPeriod on the instance",
        )
    with aws_errors(f"DescribeDBInstanceAutomatedBackups {identifier}"):
        backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier=identifier)
    for backup in backups.get("DBInstanceAutomatedBackups", []):
        window = backup.get("RestoreWindow") or {}
        if window.get("EarliestTime") and backup.get("Status") == "active":
            return RestoreWindow(
                _utc(window["EarliestTime"]), _utc(window.get("LatestTime") or latest), False
            )
    retention = timedelta(days=int(instance.get("BackupRetentionPeriod") or 0))
    earliest = max(_utc(instance["InstanceCreateTime"]), _utc(latest) - retention)
    return RestoreWindow(earliest, _utc(latest), True)


def parse_restore_time(text: str, tz_name: str | None) -> datetime:
    """``--to`` as UTC: ISO 8601 with an offset, or local wall time with ``--tz``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--to {text!r} is not an ISO 8601 time",
            hint="write e.g. 2026-01-30T12:00:00+11:00, or 2026-01-30T12:00 with --tz",
        ) from None
    if tz_name is None:
        if moment.tzinfo is None:
            raise InputError(
                f"--to {text} has no UTC offset",
                hint="add one (e.g. +11:00 or Z), or pass --tz Australia/Sydney for local time",
            )
        return moment.astimezone(UTC)
    if moment.tzinfo is not None:
        raise InputError(
            f"--to {text} has an offset and --tz {tz_name} was given too",
            hint="give either a local time with --tz or a time with an offset, not both",
        )
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--tz {tz_name!r} is not a known time zone", hint="use e.g. Australia/Sydney"
        ) from None
    early, late = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        # A daylight-saving change repeats or skips this wall time: guessing could restore
        # the wrong hour of trades.
        raise InputError(
            f"--to {text} in {tz_name} is ambiguous or skipped at a daylight-saving change",
            hint=f"give the offset instead: {early.isoformat()} or {late.isoformat()}",
        )
    return early.astimezone(UTC)


def snapshot_identifier(db: str, now: datetime) -> str:
    """A valid manual-snapshot id, unique even for two runs in the same second.

    RDS ids: letters, digits and single hyphens, starting with a letter, at most 255.
    """
    return f"{db}-manual-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def tag_value(text: str, *, option: str) -> str:
    """``text`` if RDS accepts it as a tag value, else :class:`InputError` naming ``option``."""
    if len(text) > _TAG_VALUE_MAX:
        raise InputError(
            f"{option} is {len(text)} characters long; an RDS tag value holds at most "
            f"{_TAG_VALUE_MAX}",
            hint="shorten it",
        )
    for char in text:
        if char not in _TAG_VALUE_SYMBOLS and unicodedata.category(char)[0] not in "LZN":
            raise InputError(
                f"{option} contains {char!r} (U+{ord(char):04X}), which an RDS tag value "
                "cannot hold",
                hint="use only letters, digits, spaces and _ . : / = + - @",
            )
    return text
