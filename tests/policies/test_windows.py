"""Time-window rules on both sides of each Sydney DST change and around midnight UTC.

Sydney leaves AEDT (UTC+11) for AEST (UTC+10) on Sunday 5 April 2026 and returns to AEDT on
Sunday 4 October 2026. The rules judge a UTC window against every offset Sydney uses; these
tests also replay the windows on real dates either side of each change, through the IANA
database, so the rule and the calendar cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from infra.market import PEAK_END, PEAK_START, SYDNEY, parse_arc_window, parse_daily_window
from tests.policies.conftest import find, resources_of, violations_of

DB = "commsec-db-instance"
WEB_AUTOSHIFT = "commsec-web-autoshift-config"
# Four days either side of each 2026 change.
AROUND_APRIL = [date(2026, 4, 1) + timedelta(days=n) for n in range(9)]
AROUND_OCTOBER = [date(2026, 9, 30) + timedelta(days=n) for n in range(9)]


def _busy(instant: datetime) -> bool:
    local = instant.astimezone(SYDNEY)
    return local.weekday() < 5 and PEAK_START <= local.time() < PEAK_END


def _busy_minutes(start: datetime, end: datetime) -> list[datetime]:
    minute, hits = start, []
    while minute < end:
        if _busy(minute):
            hits.append(minute)
        minute += timedelta(minutes=15)
    return hits


def _daily_window_hits(text: str, days: list[date]) -> list[datetime]:
    """Busy instants of the daily UTC window ``text`` over ``days`` (real offsets)."""
    windows = parse_daily_window(text)
    monday = windows[0]
    hits = []
    for day in days:
        start = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=monday.start)
        hits += _busy_minutes(start, start + timedelta(minutes=monday.end - monday.start))
    return hits


def _with_db(**changes: str) -> list[dict[str, str]]:
    resources = resources_of("prod")
    find(resources, DB)["inputs"].update(changes)
    return violations_of(resources, "rds-windows-off-peak")


def test_prod_backup_window_is_off_peak_on_real_dates_around_both_changes() -> None:
    window = find(resources_of("prod"), DB)["inputs"]["backupWindow"]
    assert _daily_window_hits(window, AROUND_APRIL + AROUND_OCTOBER) == []
    assert _with_db() == []


def test_window_off_peak_only_in_aest_is_rejected() -> None:
    # 20:30 UTC is 06:30 AEST (quiet) but 07:30 AEDT (pre-open): fine before 4 October,
    # busy after it.
    before = _daily_window_hits("20:30-21:00", AROUND_OCTOBER[:4])
    after = _daily_window_hits("20:30-21:00", AROUND_OCTOBER[5:])
    assert before == [] and after

    (found,) = _with_db(backupWindow="20:30-21:00")
    assert (
        "backupWindow Mon 20:30-Mon 21:00 UTC falls in the Sydney busy period" in found["message"]
    )
    assert "UTC+11" in found["message"] and "UTC+10" not in found["message"]


def test_window_off_peak_only_in_aedt_is_rejected() -> None:
    # 06:30 UTC is 17:30 AEDT (after close) but 16:30 AEST (adjust phase): fine before
    # 5 April, busy after it.
    assert _daily_window_hits("06:30-07:00", AROUND_APRIL[:4]) == []
    assert _daily_window_hits("06:30-07:00", AROUND_APRIL[5:])

    (found,) = _with_db(backupWindow="06:30-07:00")
    assert "UTC+10" in found["message"] and "UTC+11" not in found["message"]


def test_backup_window_across_midnight_utc_is_judged_as_one_window() -> None:
    # 23:30-00:30 UTC is 09:30-10:30 AEST: it runs into the 10:00 open.
    (found,) = _with_db(backupWindow="23:30-00:30")
    assert "Mon 23:30-Tue 00:30 UTC falls in the Sydney busy period" in found["message"]


def test_maintenance_window_across_midnight_utc_that_stays_off_peak_passes() -> None:
    # Saturday 23:30 to Sunday 00:30 UTC is Sunday morning in Sydney under both offsets.
    assert _with_db(maintenanceWindow="sat:23:30-sun:00:30") == []


def _autoshift_with(windows: list[str]) -> list[dict[str, str]]:
    resources = resources_of("prod")
    find(resources, WEB_AUTOSHIFT)["inputs"]["allowedWindows"] = windows
    return violations_of(resources, "arc-practice-runs")


def test_prod_practice_windows_are_off_peak_on_real_dates_around_both_changes() -> None:
    windows = find(resources_of("prod"), WEB_AUTOSHIFT)["inputs"]["allowedWindows"]
    hits = []
    for text in windows:
        window = parse_arc_window(text)
        for day in AROUND_APRIL + AROUND_OCTOBER:
            if day.weekday() != window.start // (24 * 60):
                continue
            midnight = datetime.combine(day, time(0), tzinfo=UTC)
            start = midnight + timedelta(minutes=window.start % (24 * 60))
            hits += _busy_minutes(start, start + timedelta(minutes=window.end - window.start))
    assert hits == []
    assert _autoshift_with(windows) == []


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("Sun:22:00-Mon:01:00", "spans two days"),
        ("Mon:23:00-Mon:22:00", "ends before it starts"),
        ("Sun:23:00-Sun:23:59", "Sun 23:00-Sun 23:59 UTC falls in the Sydney busy period"),
        ("Mon:20:30-Mon:21:00", "falls in the Sydney busy period 07:00-17:00 (UTC+11)"),
        ("Mon:06:30-Mon:07:00", "falls in the Sydney busy period 07:00-17:00 (UTC+10)"),
    ],
)
def test_practice_window_around_midnight_or_dst_is_rejected(window: str, expected: str) -> None:
    found = _autoshift_with([window])
    assert found and expected in found[0]["message"]


def test_practice_window_ending_just_before_midnight_utc_passes() -> None:
    # Saturday 13:00-23:59 UTC is Saturday night / Sunday morning in Sydney.
    assert _autoshift_with(["Sat:13:00-Sat:23:59"]) == []
