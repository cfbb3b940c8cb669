"""ARC zonal shift operations: plain functions over an ``arc-zonal-shift`` client.

ARC addresses zones by AZ id (``use1-az1``), which differ between accounts for the same AZ
name, so every name is resolved through the stack's outputs before a call. The commands in
:mod:`ops.commands.shift` are thin shells over these functions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

from ops.errors import (
    CommsecError,
    EscalateError,
    InputError,
    RetryableError,
    aws_errors,
    from_aws,
)
from ops.outputs import StackOutputs

AzName = NewType("AzName", str)
AzId = NewType("AzId", str)

_DURATION = re.compile(r"([1-9][0-9]*)(m|h)")
_MAX_MINUTES = 72 * 60
_MAX_PAGES = 1000  # a service that never stops paging must not hang the on-call engineer
SHIFT_TYPES = {
    "ZONAL_SHIFT": "operator",
    "PRACTICE_RUN": "practice run",
    "ZONAL_AUTOSHIFT": "autoshift",
    "FIS_EXPERIMENT": "FIS experiment",
}


def parse_duration(text: str) -> str:
    """Validate ``--duration`` as ARC's ``expiresIn``: ``N`` minutes or hours, at most 72h.

    Strict: no surrounding spaces or newline, ASCII digits only, exactly as ARC takes it.
    """
    match = _DURATION.fullmatch(text)
    if not match and _DURATION.fullmatch(text.removeprefix("-")):
        raise InputError(
            f"--duration {text} is negative; a shift lasts from 1m to 72h",
            hint="give a positive duration such as 30m or 2h",
        )
    if not match:
        raise InputError(
            f"--duration {text!r} is not a whole number of minutes or hours",
            hint="write it as N followed by m or h, e.g. 30m or 2h",
        )
    number, unit = int(match.group(1)), match.group(2)
    minutes = number if unit == "m" else number * 60
    if minutes > _MAX_MINUTES:
        raise InputError(
            f"--duration {text} is longer than ARC's limit of 72h",
            hint="use 72h or less and extend the shift later with another 'shift start'",
        )
    return f"{number}{unit}"


def resolve_az(outputs: StackOutputs, az: str) -> tuple[AzName, AzId]:
    """``(name, id)`` of an AZ given by name or id; only the stack's own AZs are accepted."""
    value = az.strip()
    name = outputs.az_name_for(value)
    if name is not None:
        return AzName(name), AzId(value)
    zone_id = outputs.az_id_for(value)
    if zone_id is not None:
        return AzName(value), AzId(zone_id)
    pairs = ", ".join(
        f"{n} ({i})"
        for n, i in zip(outputs.availability_zones, outputs.availability_zone_ids, strict=True)
    )
    raise InputError(
        f"--az {value} is not one of the AZs the load balancers are in",
        hint=f"choose one of {pairs}",
    )


class SecondAzRefused(EscalateError):
    """An ALB is already shifted away from another AZ."""


def paginate(call: Callable[..., dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a ``nextToken``-paged ARC list call."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(_MAX_PAGES):
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        items.extend(page.get("items", []))
        token = page.get("nextToken")
        if not token:
            return items
    raise EscalateError(
        f"ARC kept returning pages after {_MAX_PAGES} of them",
        hint="list the shifts with the AWS console or CLI and report this",
    )


def active_operator_shifts(arc: Any, arn: str) -> list[dict[str, Any]]:
    shifts = paginate(arc.list_zonal_shifts, resourceIdentifier=arn, status="ACTIVE")
    return [s for s in shifts if s.get("shiftType", "ZONAL_SHIFT") == "ZONAL_SHIFT"]


@dataclass
class Outcome:
    """What happened to one load balancer."""

    tier: str
    arn: str
    action: str  # started, updated, cancelled, rolled back, failed, unchanged, unknown
    shift: dict[str, Any] | None = None
    before: dict[str, Any] | None = None
    error: CommsecError | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when the call's answer was lost and the state above was read back from ARC.
    read_back: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _start_one(
    arc: Any, tier: str, arn: str, az_id: AzId, expires_in: str, comment: str
) -> Outcome:
    from botocore.exceptions import BotoCoreError, ClientError

    action = f"StartZonalShift on the {tier} ALB"
    try:
        shift = arc.start_zonal_shift(
            resourceIdentifier=arn, awayFrom=az_id, expiresIn=expires_in, comment=comment
        )
        return Outcome(tier, arn, "started", shift=_plain(shift))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            return Outcome(tier, arn, "failed", error=from_aws(exc, action))
    except BotoCoreError as exc:
        if _answer_lost(exc):
            return _start_read_back(arc, tier, arn, az_id, from_aws(exc, action), before=None)
        return Outcome(tier, arn, "failed", error=from_aws(exc, action))
    # One active shift per resource: the same target is updated in place (a re-run extends
    # it); another AZ is refused, since draining two AZs would leave one AZ for all traffic.
    try:
        with aws_errors(f"reading the active shifts of the {tier} ALB"):
            existing = active_operator_shifts(arc, arn)
        same = [s for s in existing if s["awayFrom"] == az_id]
        if not same:
            raise _second_az(tier, existing)
    except CommsecError as error:
        return Outcome(tier, arn, "failed", error=error)
    before = _plain(same[0])
    try:
        with aws_errors(f"UpdateZonalShift on the {tier} ALB"):
            shift = arc.update_zonal_shift(
                zonalShiftId=same[0]["zonalShiftId"], expiresIn=expires_in, comment=comment
            )
        return Outcome(tier, arn, "updated", shift=_plain(shift), before=before)
    except CommsecError as error:
        if _answer_lost(error.__cause__):
            return _start_read_back(arc, tier, arn, az_id, error, before=before)
        return Outcome(tier, arn, "failed", error=error)


def _second_az(tier: str, active: list[dict[str, Any]]) -> SecondAzRefused:
    others = ", ".join(sorted({s["awayFrom"] for s in active})) or "another zone"
    return SecondAzRefused(
        f"the {tier} ALB is already shifted away from {others}; refusing to shift a second AZ",
        hint="cancel it first with 'commsec shift cancel', then start the new shift",
    )


def _answer_lost(exc: BaseException | None) -> bool:
    """Whether a call may have reached ARC although no answer came back.

    NOTE: botocore raises only the last attempt's error, so an attempt that timed out
    followed by one that was throttled is not recognised here; ``shift status`` shows
    what is really active.
    """
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    return isinstance(exc, ReadTimeoutError | ConnectionClosedError)


def _read_back(arc: Any, tier: str, arn: str, lost: CommsecError, maybe: str) -> list[Any]:
    """The active operator shifts of an ALB after a call whose answer was lost; if this read
    fails too, :class:`RetryableError` says what ``maybe`` happened."""
    try:
        with aws_errors(f"reading back the active shifts of the {tier} ALB"):
            return active_operator_shifts(arc, arn)
    except CommsecError as again:
        raise RetryableError(
            f"{_lost(lost)}; reading its shifts back failed too ({again.message}): {maybe}",
            hint="check with 'commsec shift status'",
        ) from again


def _lost(error: CommsecError) -> str:
    return f"{error.message}, so the request may have reached ARC"


def _start_read_back(
    arc: Any, tier: str, arn: str, az_id: AzId, lost: CommsecError, before: dict[str, Any] | None
) -> Outcome:
    """What is really shifted on an ALB whose StartZonalShift or UpdateZonalShift answer was
    lost: the request may or may not have reached ARC, so ARC is asked."""
    try:
        active = _read_back(arc, tier, arn, lost, f"the {tier} ALB may be shifted")
    except RetryableError as unknown:
        return Outcome(tier, arn, "unknown", before=before, error=unknown)
    same = [s for s in active if s["awayFrom"] == az_id]
    if same:
        action = "started" if before is None else "updated"
        return Outcome(tier, arn, action, _plain(same[0]), before, read_back=_lost(lost))
    if active:
        return Outcome(tier, arn, "failed", before=before, error=_second_az(tier, active))
    none_active = type(lost)(
        f"{_lost(lost)}; ARC shows no active shift on the {tier} ALB", hint=lost.hint
    )
    return Outcome(tier, arn, "failed", before=before, error=none_active)


def _plain(shift: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in shift.items()
        if k != "ResponseMetadata"
    }


def start_shifts(
    arc: Any, targets: dict[str, str], *, az_id: AzId, expires_in: str, comment: str
) -> list[Outcome]:
    """Start (or extend) a shift away from ``az_id`` on every target ALB at once.

    The calls run in parallel threads on one client (botocore clients are thread-safe once
    built). If one ALB is refused because it is shifted from another AZ, a shift this call
    has just started on the other ALB is cancelled again, so the platform is never left
    with two AZs drained.

    NOTE: an active autoshift away from another AZ is not looked for here: that would cost
    one ``GetManagedResource`` call per ALB on the 3 a.m. path. ``shift status`` shows
    autoshifts.
    """
    results: dict[str, Outcome] = {}

    def run(tier: str, arn: str) -> None:
        results[tier] = _start_one(arc, tier, arn, az_id, expires_in, comment)

    threads = [threading.Thread(target=run, args=item) for item in targets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = [results[tier] for tier in targets]

    if any(isinstance(o.error, SecondAzRefused) for o in outcomes):
        for outcome in outcomes:
            if outcome.action == "started" and outcome.shift:
                _roll_back(arc, outcome)
    return outcomes


def _roll_back(arc: Any, outcome: Outcome) -> None:
    if outcome.shift is None:
        return
    undone = _cancel_one(arc, outcome.tier, outcome.arn, outcome.shift)
    if undone.action == "cancelled":
        outcome.action = "rolled back"
    else:
        outcome.action = "started, roll-back failed"
        outcome.error = undone.error


def check_other_albs(arc: Any, others: dict[str, str], az_id: AzId) -> None:
    """Refuse a single-ALB shift while the other ALB is shifted away from another AZ."""
    for tier, arn in others.items():
        with aws_errors(f"reading the active shifts of the {tier} ALB"):
            shifted = {s["awayFrom"] for s in active_operator_shifts(arc, arn)} - {az_id}
        if shifted:
            raise SecondAzRefused(
                f"the {tier} ALB is shifted away from {', '.join(sorted(shifted))}; refusing to "
                f"shift a second AZ",
                hint="cancel that shift first with 'commsec shift cancel', or shift the same AZ",
            )


def cancel_shifts(arc: Any, targets: dict[str, str]) -> list[Outcome]:
    """Cancel every active operator shift of every target (all pages, not only the first)."""
    outcomes: list[Outcome] = []
    for tier, arn in targets.items():
        try:
            with aws_errors(f"listing the active shifts of the {tier} ALB"):
                active = active_operator_shifts(arc, arn)
        except CommsecError as error:
            outcomes.append(Outcome(tier, arn, "failed", error=error))
            continue
        if not active:
            outcomes.append(Outcome(tier, arn, "unchanged"))
        outcomes += [_cancel_one(arc, tier, arn, shift) for shift in active]
    return outcomes


def _no_longer_active(cause: BaseException | None) -> bool:
    response = getattr(cause, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error", {})
    reason = response.get("reason") or error.get("reason")
    return error.get("Code") == "ConflictException" and reason == "ZonalShiftStatusNotActive"


def _cancel_one(arc: Any, tier: str, arn: str, shift: dict[str, Any]) -> Outcome:
    """Cancel one shift; when the answer is lost, ARC is asked whether it is still active."""
    shift_id, before = shift["zonalShiftId"], _plain(shift)
    try:
        with aws_errors(f"CancelZonalShift on the {tier} ALB"):
            done = arc.cancel_zonal_shift(zonalShiftId=shift_id)
        return Outcome(tier, arn, "cancelled", _plain(done), before)
    except CommsecError as error:
        if _no_longer_active(error.__cause__):
            # It ended between the listing and the cancel (an earlier attempt whose answer was
            # lost, another operator, or its expiry): what the cancel wanted is already true.
            return Outcome(tier, arn, "cancelled", None, before)
        if not _answer_lost(error.__cause__):
            return Outcome(tier, arn, "failed", before=before, error=error)
        lost = error
    try:
        active = _read_back(arc, tier, arn, lost, f"shift {shift_id} may have been cancelled")
    except RetryableError as unknown:
        return Outcome(tier, arn, "unknown", before=before, error=unknown)
    if any(s["zonalShiftId"] == shift_id for s in active):
        still = type(lost)(
            f"{_lost(lost)}; ARC shows shift {shift_id} still active", hint=lost.hint
        )
        return Outcome(tier, arn, "failed", before=before, error=still)
    return Outcome(tier, arn, "cancelled", None, before, read_back=_lost(lost))


def shift_rows(arc: Any, targets: dict[str, str], *, include_ended: bool) -> list[dict[str, Any]]:
    """Every zonal shift and autoshift of the targets, as plain records."""
    rows: list[dict[str, Any]] = []
    for tier, arn in targets.items():
        with aws_errors(f"listing the zonal shifts of the {tier} ALB"):
            kwargs = {} if include_ended else {"status": "ACTIVE"}
            shifts = paginate(arc.list_zonal_shifts, resourceIdentifier=arn, **kwargs)
            resource = arc.get_managed_resource(resourceIdentifier=arn)
        for shift in shifts:
            rows.append(
                {
                    "lb": tier,
                    "type": SHIFT_TYPES.get(shift.get("shiftType", ""), "operator"),
                    "awayFrom": shift["awayFrom"],
                    "status": shift["status"],
                    "startTime": shift.get("startTime"),
                    "expiryTime": shift.get("expiryTime"),
                    "zonalShiftId": shift["zonalShiftId"],
                    "comment": shift.get("comment", ""),
                }
            )
        for auto in resource.get("autoshifts", []):
            rows.append(
                {
                    "lb": tier,
                    "type": "autoshift",
                    "awayFrom": auto["awayFrom"],
                    "status": "ACTIVE",
                    "startTime": auto.get("startTime"),
                    "expiryTime": None,
                    "zonalShiftId": None,
                    "comment": f"applied: {auto.get('appliedStatus', '-')}",
                }
            )
    return rows


def ended_autoshifts(arc: Any) -> list[dict[str, Any]]:
    """Completed autoshifts of the account (ARC does not say which resource they were on)."""
    with aws_errors("listing the completed autoshifts"):
        return paginate(arc.list_autoshifts, status="COMPLETED")
