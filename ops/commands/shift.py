"""``commsec shift start|status|cancel|assess``: ARC zonal shifts of the two ALBs.

The start path is the on-call engineer's 3 a.m. path, so it makes the minimum of calls: the
AZ id comes from the stack outputs, both ``StartZonalShift`` calls run in parallel, and the
operator's identity for the audit record is fetched from STS at the same time. Only when ARC
answers with a conflict does it read the existing shift, to update it or refuse.
"""

from __future__ import annotations

import argparse
import unicodedata
from datetime import datetime
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.errors import CommsecError, InputError
from ops.report import Report, table

_LB_CHOICES = ("web", "app", "all")
_DEFAULT_DURATION = "1h"


def _add_lb(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lb", choices=_LB_CHOICES, default="all", help="which load balancer (default: all)"
    )


def _add_start_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--az", required=True, help="AZ to shift away from: name or id")
    _add_lb(parser)
    parser.add_argument(
        "--duration",
        default=_DEFAULT_DURATION,
        help="how long the shift lasts, N followed by m or h, at most 72h (default: 1h)",
    )
    parser.add_argument("--comment", default=None, help="reason, kept with the shift")


def _comment(args: argparse.Namespace, az_name: str) -> str:
    text = args.comment or f"commsec shift start: away from {az_name}"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise InputError(
            "--comment contains control or formatting characters (escape sequences, bidi "
            "marks), which would garble every terminal that shows the shift",
            hint="use plain text",
        )
    if len(text) > 128:
        raise InputError(
            f"--comment is {len(text)} characters long; ARC keeps at most 128",
            hint="shorten it",
        )
    return text


def _clock(value: Any) -> str:
    """An ISO time from ARC as ``YYYY-MM-DD HH:MM UTC``."""
    from datetime import UTC

    try:
        return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value or "-")


def _outcome_lines(outcomes: list[Any], az_label: str) -> list[str]:
    lines = []
    for outcome in outcomes:
        if outcome.error is not None:
            lines.append(f"{outcome.tier} ALB: {outcome.action}: {outcome.error.render()}")
        elif outcome.read_back:
            lines.append(
                f"{outcome.tier} ALB: shifted away from {az_label} by shift "
                f"{outcome.shift.get('zonalShiftId', '-')} until "
                f"{_clock(outcome.shift.get('expiryTime'))} (read back from ARC: the answer "
                "was lost)"
            )
        else:
            expiry = _clock((outcome.shift or {}).get("expiryTime"))
            lines.append(
                f"{outcome.tier} ALB: {outcome.action} shift "
                f"{(outcome.shift or {}).get('zonalShiftId', '-')} away from {az_label} "
                f"until {expiry}"
            )
    return lines


def _start_summary(outcomes: list[Any], az_label: str) -> list[str]:
    """The closing line of a start that did not fully succeed: what is shifted now."""
    failed = [o for o in outcomes if o.error is not None]
    changed = [o for o in outcomes if o.action in ("started", "updated")]
    stuck = [o.tier for o in outcomes if o.action == "started, roll-back failed"]
    unknown = [o.tier for o in outcomes if o.action == "unknown"]
    if stuck:
        return [
            f"WARNING: the {', '.join(stuck)} ALB is still shifted away from {az_label} "
            f"although the other was refused; cancel it with 'commsec shift cancel --lb "
            f"{stuck[0]}' or shift the other ALB from the same AZ."
        ]
    if any(o.action == "rolled back" for o in outcomes):
        rolled_back = ", ".join(o.tier for o in outcomes if o.action == "rolled back")
        return [
            f"NOT shifted: the shift just started on the {rolled_back} ALB was cancelled "
            "again, so that no second AZ is drained. Nothing changed."
        ]
    if unknown:
        shifted = f"shifted {', '.join(o.tier for o in changed)}; " if changed else ""
        return [
            f"UNKNOWN: {shifted}the {', '.join(unknown)} ALB may or may not be shifted away "
            f"from {az_label}: check with 'commsec shift status' before anything else."
        ]
    if failed:
        return [
            f"PARTIAL: shifted {', '.join(o.tier for o in changed)}; NOT shifted "
            f"{', '.join(o.tier for o in failed)}. Re-run the same command to retry (the "
            "shifted ALB is extended, not duplicated)."
        ]
    return _read_back_lines(outcomes)


def _read_back_lines(outcomes: list[Any]) -> list[str]:
    """The closing line when a state shown was read back from ARC instead of answered."""
    tiers = [o.tier for o in outcomes if o.read_back]
    if not tiers:
        return []
    return [
        f"ARC's answer was lost for the {', '.join(tiers)} ALB: the state above was read back "
        "from ARC. Check it with 'commsec shift status'; re-running the same command extends "
        "a shift instead of duplicating it."
    ]


def _fail_all(outcomes: list[Any]) -> CommsecError:
    """One error for a start that changed nothing, of the kind of the first failure."""
    first = next(o.error for o in outcomes if o.error is not None)
    if len(outcomes) == 1:
        return first
    message = "; ".join(f"{o.tier} ALB: {o.error.message}" for o in outcomes if o.error)
    if any(o.action == "unknown" for o in outcomes):
        # A lost answer that could not be read back either: the shift may well exist.
        return type(first)(
            f"the zonal shifts may or may not have started: {message}",
            hint="check with 'commsec shift status'",
        )
    error = type(first)(f"no zonal shift was started: {message}", hint=first.hint)
    return error


def start(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import arc

    outputs = ctx.outputs()
    expires_in = arc.parse_duration(args.duration)
    az_name, az_id = arc.resolve_az(outputs, args.az)
    comment = _comment(args, az_name)
    targets = outputs.alb_arns(args.lb)
    az_label = f"{az_name} ({az_id})"
    calls = [
        {
            "call": "arc-zonal-shift StartZonalShift",
            "resourceIdentifier": arn,
            "awayFrom": az_id,
            "expiresIn": expires_in,
            "comment": comment,
        }
        for arn in targets.values()
    ]
    if ctx.dry_run:
        lines = [f"Would shift {', '.join(targets)} ALB traffic away from {az_label}:"]
        lines += [
            f"  StartZonalShift(resourceIdentifier={c['resourceIdentifier']}, "
            f"awayFrom={az_id}, expiresIn={expires_in}, comment={comment!r})"
            for c in calls
        ]
        lines.append("  (an existing shift away from the same AZ is extended instead)")
        return Report("shift start", {"dryRun": True, "calls": calls}, text="\n".join(lines))
    ctx.confirm(
        f"shift the {' and '.join(targets)} ALB traffic away from {az_label} for {expires_in}"
    )

    client = ctx.aws("arc-zonal-shift")
    ctx.prefetch_operator()
    others = {t: a for t, a in outputs.alb_arns("all").items() if t not in targets}
    if others:
        try:
            arc.check_other_albs(client, others, az_id)
        except arc.SecondAzRefused as refusal:
            ctx.record_audit(
                target={"lb": list(targets), "awayFrom": az_id, "azName": az_name},
                before=None,
                after=None,
                result=f"refused: {refusal.message}",
            )
            raise
    outcomes = arc.start_shifts(
        client, targets, az_id=az_id, expires_in=expires_in, comment=comment
    )

    failed = [o for o in outcomes if o.error is not None]
    changed = [o for o in outcomes if o.action in ("started", "updated")]
    result = "succeeded" if not failed else ("partial" if changed else "failed")
    if any(o.action == "unknown" for o in outcomes):
        result = "unknown: answer lost and read-back failed"
    if any(o.action == "rolled back" for o in outcomes):
        result = "refused, rolled back"
    if any(o.action == "started, roll-back failed" for o in outcomes):
        result = "refused, roll-back failed"
    lost = _lost_answers(outcomes)
    if lost:
        result += ", read back after a lost answer"
    audit = ctx.record_audit(
        target={"lb": list(targets), "awayFrom": az_id, "azName": az_name, "arns": targets},
        before={o.tier: o.before for o in outcomes},
        after={o.tier: o.shift for o in outcomes if o.action in ("started", "updated")},
        result=result,
        details={
            o.tier: {"action": o.action, "error": o.error.render() if o.error else None}
            for o in outcomes
        },
    )
    if len(failed) == len(outcomes) and not any(o.shift for o in failed):
        raise _fail_all(outcomes)
    lines = _outcome_lines(outcomes, az_label) + _start_summary(outcomes, az_label)
    data = {
        "awayFrom": {"name": az_name, "id": az_id},
        "expiresIn": expires_in,
        "result": result,
        "loadBalancers": {
            o.tier: {
                "arn": o.arn,
                "action": o.action,
                "shift": o.shift,
                "error": o.error.render() if o.error else None,
                "readBack": o.read_back,
            }
            for o in outcomes
        },
    }
    return Report(
        "shift start",
        data,
        text="\n".join(lines),
        ok=not failed and not lost,
        audit=audit,
        warnings=lost,
    )


def _lost_answers(outcomes: list[Any]) -> list[str]:
    """Warnings for the calls whose answers were lost: the state shown was read back.

    Such a command exits 1 even when the read-back shows what was asked for: the call itself
    failed, so the operator should look before relying on it.
    """
    return [
        f"{o.tier} ALB: {o.read_back}; the state shown was read back"
        for o in outcomes
        if o.read_back
    ]


def _add_status_args(parser: argparse.ArgumentParser) -> None:
    _add_lb(parser)
    parser.add_argument("--all", action="store_true", help="also list ended shifts")


def _left(expiry: Any, now: datetime) -> str:
    if not isinstance(expiry, datetime):
        return "-"
    seconds = int((expiry - now).total_seconds())
    if seconds <= 0:
        return "0m"
    hours, minutes = divmod((seconds + 59) // 60, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def status(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import arc

    outputs = ctx.outputs()
    client = ctx.aws("arc-zonal-shift")
    rows = arc.shift_rows(client, outputs.alb_arns(args.lb), include_ended=args.all)
    now = ctx.now()
    for row in rows:
        row["azName"] = outputs.az_name_for(row["awayFrom"]) or "?"
        row["timeLeft"] = _left(row["expiryTime"], now) if row["status"] == "ACTIVE" else "-"
    ended = arc.ended_autoshifts(client) if args.all else []
    shown = [
        [
            r["lb"],
            r["type"],
            r["azName"],
            r["awayFrom"],
            r["status"],
            r["timeLeft"],
            r["zonalShiftId"],
            r["comment"],
        ]
        for r in rows
    ]
    shown += [
        [
            "-",
            "autoshift",
            outputs.az_name_for(a["awayFrom"]) or "?",
            a["awayFrom"],
            a["status"],
            "-",
            None,
            "account-wide; ARC does not name the resource",
        ]
        for a in ended
    ]
    if shown:
        text = table(["LB", "TYPE", "AZ", "AZ ID", "STATUS", "LEFT", "SHIFT ID", "COMMENT"], shown)
    else:
        text = f"No active zonal shift or autoshift on the {args.lb} ALB(s)."
    data = {"shifts": rows, "endedAutoshifts": ended}
    return Report("shift status", data, text=text)


def _add_cancel_args(parser: argparse.ArgumentParser) -> None:
    _add_lb(parser)


def cancel(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import arc

    outputs = ctx.outputs()
    targets = outputs.alb_arns(args.lb)
    client = ctx.aws("arc-zonal-shift")
    if ctx.dry_run:
        calls = [
            {"call": "arc-zonal-shift ListZonalShifts", "resourceIdentifier": a, "status": "ACTIVE"}
            for a in targets.values()
        ]
        text = (
            "Would list the active operator shifts of each ALB (every page) and call "
            "CancelZonalShift(zonalShiftId=...) for each:\n"
            + "\n".join(f"  {t}: {a}" for t, a in targets.items())
        )
        return Report("shift cancel", {"dryRun": True, "calls": calls}, text=text)
    ctx.confirm(f"cancel every active operator zonal shift on the {' and '.join(targets)} ALB")

    ctx.prefetch_operator()
    outcomes = arc.cancel_shifts(client, targets)

    cancelled = [o for o in outcomes if o.action == "cancelled"]
    failed = [o for o in outcomes if o.error is not None]
    lines = []
    for o in outcomes:
        if o.action == "unchanged":
            lines.append(f"{o.tier} ALB: no active operator zonal shift; nothing to cancel")
        elif o.action == "unknown" and o.error is not None:
            lines.append(f"{o.tier} ALB: UNKNOWN whether it was cancelled: {o.error.render()}")
        elif o.error is not None:
            shift_id = (o.before or {}).get("zonalShiftId", "-")
            lines.append(f"{o.tier} ALB: FAILED to cancel {shift_id}: {o.error.render()}")
        else:
            lines.append(
                f"{o.tier} ALB: cancelled {o.before['zonalShiftId']} "  # type: ignore[index]
                f"(away from {o.before['awayFrom']})"  # type: ignore[index]
                + (" (read back from ARC: the answer was lost)" if o.read_back else "")
            )
    lost = _lost_answers(outcomes)
    audit = None
    if cancelled or failed:
        audit = ctx.record_audit(
            target={"lb": list(targets), "arns": targets},
            before=[o.before for o in outcomes if o.before],
            after=[o.shift for o in cancelled],
            result=("succeeded" if not failed else ("partial" if cancelled else "failed"))
            + (", read back after a lost answer" if lost else ""),
            details=[
                {"lb": o.tier, "action": o.action, "error": o.error.render() if o.error else None}
                for o in outcomes
            ],
        )
    data = {
        "cancelled": [o.before for o in cancelled],
        "failed": [{"lb": o.tier, "error": o.error.render()} for o in failed if o.error],
        "unchanged": [o.tier for o in outcomes if o.action == "unchanged"],
        "unknown": [o.tier for o in outcomes if o.action == "unknown"],
    }
    if failed:
        lines.append(
            "Some shifts may still be active: check with 'commsec shift status' and re-run "
            "the same command to cancel what is left."
        )
    return Report(
        "shift cancel",
        data,
        text="\n".join(lines),
        ok=not failed and not lost,
        audit=audit,
        warnings=lost,
    )


def _add_assess_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--minutes", type=int, default=10, help="look back this many minutes (default: 10)"
    )
    parser.add_argument(
        "--apply", action="store_true", help="start the shift when the rule says shift now"
    )
    parser.add_argument(
        "--duration", default=_DEFAULT_DURATION, help="duration of a shift started by --apply"
    )


def assess(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import arc
    from ops import assess as decide

    outputs = ctx.outputs()
    if not 2 <= args.minutes <= 180:
        raise InputError(
            f"--minutes {args.minutes} is out of range", hint="look back 2 to 180 minutes"
        )
    expires_in = arc.parse_duration(args.duration)
    cloudwatch = ctx.aws("cloudwatch")
    metrics = decide.zone_metrics(cloudwatch, outputs, end=ctx.now(), minutes=args.minutes)
    health = decide.health_events(ctx, outputs)
    verdict = decide.recommend(metrics, health)
    text = decide.render(verdict, metrics, health)
    data: dict[str, Any] = {"recommendation": verdict.as_dict(), "zones": metrics, "health": health}
    if not (args.apply and verdict.action == "shift now" and verdict.az_id):
        return Report("shift assess", data, text=text)

    shift_args = argparse.Namespace(
        az=verdict.az_id,
        lb="all",
        duration=expires_in,
        comment=f"commsec shift assess: {verdict.reason}"[:128],
    )
    started = start(shift_args, ctx)
    data["applied"] = started.data
    return Report(
        "shift assess",
        data,
        text=f"{text}\n\n{started.text}",
        ok=started.ok,
        audit=started.audit,
    )


COMMANDS = {
    "start": Command(_add_start_args, start, mutating=True),
    "status": Command(_add_status_args, status),
    "cancel": Command(_add_cancel_args, cancel, mutating=True),
    "assess": Command(_add_assess_args, assess, mutating=True),
}
