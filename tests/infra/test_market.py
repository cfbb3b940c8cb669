"""The ASX calendar and the schedules derived from it, at holiday and DST edges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from infra import market
from tests.infra.requirements import DST_EDGE_DATES, trading_clashes


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "New Year's Day"),
        (date(2026, 1, 26), "Australia Day"),
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 6, 8), "King's Birthday"),
        (date(2026, 12, 25), "Christmas Day"),
        # Boxing Day 2026 is a Saturday: the ASX closes the following Monday.
        (date(2026, 12, 28), "Boxing Day"),
        # Christmas 2022 was a Sunday: Christmas moves to Monday, Boxing Day to Tuesday.
        (date(2022, 12, 26), "Christmas Day"),
        (date(2022, 12, 27), "Boxing Day"),
        # New Year's Day 2028 is a Saturday.
        (date(2028, 1, 3), "New Year's Day"),
        (date(2025, 4, 25), "Anzac Day"),
    ],
)
def test_asx_holidays(day: date, name: str) -> None:
    assert market.holiday_name(day) == name
    assert not market.is_trading_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 25),  # Anzac Day on a Saturday: no substitute Monday
        date(2026, 4, 27),
        date(2026, 12, 24),  # trading, with an early close
        date(2026, 4, 7),  # the Tuesday after Easter Monday
    ],
)
def test_not_a_holiday(day: date) -> None:
    assert market.holiday_name(day) is None


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "open_utc", "close_utc"),
    [
        # Thursday before Good Friday 2026: still AEDT (UTC+11).
        (date(2026, 4, 2), _utc(2026, 4, 1, 23, 0), _utc(2026, 4, 2, 5, 0)),
        # Tuesday after DST ended on Sunday 5 April: AEST (UTC+10).
        (date(2026, 4, 7), _utc(2026, 4, 7, 0, 0), _utc(2026, 4, 7, 6, 0)),
        # Friday before DST starts on Sunday 4 October: AEST.
        (date(2026, 10, 2), _utc(2026, 10, 2, 0, 0), _utc(2026, 10, 2, 6, 0)),
        # Monday after: AEDT, the open is at 23:00 UTC the previous day.
        (date(2026, 10, 5), _utc(2026, 10, 4, 23, 0), _utc(2026, 10, 5, 5, 0)),
        # Christmas Eve closes early, at 14:10 Sydney (AEDT).
        (date(2026, 12, 24), _utc(2026, 12, 23, 23, 0), _utc(2026, 12, 24, 3, 10)),
    ],
)
def test_sessions_follow_sydney_dst(day: date, open_utc: datetime, close_utc: datetime) -> None:
    assert market.session_utc(day) == (open_utc, close_utc)


@pytest.mark.parametrize(
    ("instant", "phase"),
    [
        (_utc(2026, 10, 4, 22, 59), "pre-open"),  # Mon 09:59 AEDT
        (_utc(2026, 10, 4, 23, 0), "open"),  # Mon 10:00 AEDT
        (_utc(2026, 4, 6, 23, 30), "pre-open"),  # Tue 09:30 AEST
        (_utc(2026, 4, 7, 0, 0), "open"),
        (_utc(2026, 4, 3, 1, 0), "closed"),  # Good Friday
        (_utc(2026, 4, 7, 6, 0), "after-close"),
    ],
)
def test_market_status_at_dst_edges(instant: datetime, phase: str) -> None:
    assert market.market_status(instant).phase == phase


def test_sydney_uses_both_offsets() -> None:
    assert market.sydney_utc_offsets(2026) == (600, 660)


def test_arc_windows_avoid_trading_on_both_sides_of_dst() -> None:
    windows = [market.parse_arc_window(w) for w in market.arc_allowed_windows()]
    assert sum(w.end - w.start for w in windows) >= 60 * 24 * 3
    assert not trading_clashes(windows, DST_EDGE_DATES)
    assert all(w.start // 1440 == (w.end - 1) // 1440 for w in windows)


def test_runbook_backup_time_is_inside_trading_hours() -> None:
    # The runbook's 03:00-04:00 UTC is 13:00-14:00 AEST: the product keeps the intent instead.
    assert trading_clashes(market.parse_daily_window("03:00-04:00"), DST_EDGE_DATES)
    derived = market.parse_daily_window(market.rds_backup_window())
    assert not trading_clashes(derived, DST_EDGE_DATES)


def test_windows_that_cross_midnight_are_refused() -> None:
    with pytest.raises(ValueError, match="spans two days"):
        market.parse_arc_window("Mon:22:00-Tue:02:00")
