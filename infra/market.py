"""ASX market calendar and the off-peak schedules derived from it.

Every schedule the platform writes (RDS backup and maintenance windows, ARC practice-run
windows) comes from this module rather than from a hand-typed UTC offset. Sydney moves
between AEST (UTC+10) and AEDT (UTC+11), while AWS schedules are fixed in UTC, so a window
is only acceptable when it is off-peak under *both* offsets. The offsets themselves are
read from the IANA time-zone database, not typed in.

Pure standard library: the CLI imports it on every pre-market check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

SYDNEY = ZoneInfo("Australia/Sydney")
OPEN = time(10, 0)
CLOSE = time(16, 0)
# ASX closes early (14:10) on Christmas Eve and New Year's Eve.
EARLY_CLOSE = time(14, 10)

# The busy period protected from maintenance: the pre-open phase (orders are accepted from
# 07:00) through the closing auction and the post-close adjust phase (until 17:00).
PEAK_START = time(7, 0)
PEAK_END = time(17, 0)

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

MarketPhase = Literal["closed", "pre-open", "open", "after-close"]


# --- trading days ------------------------------------------------------------------------


def _easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _next_monday_if_weekend(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def asx_holidays(year: int) -> dict[date, str]:
    """The ASX's national trading holidays of ``year``, with their substitute days.

    Anzac Day has no substitute when it falls on a weekend; Christmas and Boxing Day move
    to the following weekdays, in that order.
    """
    easter = _easter_sunday(year)
    june_first = date(year, 6, 1)
    kings_birthday = june_first + timedelta(days=(7 - june_first.weekday()) % 7 + 7)
    holidays = {
        _next_monday_if_weekend(date(year, 1, 1)): "New Year's Day",
        _next_monday_if_weekend(date(year, 1, 26)): "Australia Day",
        easter - timedelta(days=2): "Good Friday",
        easter + timedelta(days=1): "Easter Monday",
        kings_birthday: "King's Birthday" if year >= 2023 else "Queen's Birthday",
    }
    anzac = date(year, 4, 25)
    if anzac.weekday() < 5:
        holidays[anzac] = "Anzac Day"

    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    taken: list[date] = []
    for day, name in ((christmas, "Christmas Day"), (boxing, "Boxing Day")):
        while day.weekday() >= 5 or day in taken:
            day += timedelta(days=1)
        taken.append(day)
        holidays[day] = name
    return dict(sorted(holidays.items()))


def holiday_name(day: date) -> str | None:
    """The ASX holiday on ``day``, or ``None``."""
    return asx_holidays(day.year).get(day)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def session_utc(day: date) -> tuple[datetime, datetime]:
    """Open and close of the ASX session on the Sydney date ``day``, in UTC."""
    close = EARLY_CLOSE if (day.month, day.day) in ((12, 24), (12, 31)) else CLOSE
    opening = datetime.combine(day, OPEN, tzinfo=SYDNEY)
    closing = datetime.combine(day, close, tzinfo=SYDNEY)
    return opening.astimezone(UTC), closing.astimezone(UTC)


@dataclass(frozen=True)
class MarketStatus:
    """Where the market stands at one instant, in Sydney terms."""

    phase: MarketPhase
    sydney_time: datetime
    reason: str
    next_open_utc: datetime | None


def market_status(now: datetime) -> MarketStatus:
    """The market phase at ``now`` (an aware datetime, any zone)."""
    if now.tzinfo is None:
        raise ValueError("market_status needs an aware datetime (with a UTC offset)")
    local = now.astimezone(SYDNEY)
    today = local.date()
    if not is_trading_day(today):
        why = holiday_name(today) or local.strftime("%A")
        return MarketStatus("closed", local, f"ASX closed: {why}", _next_open(today))
    opening, closing = session_utc(today)
    instant = now.astimezone(UTC)
    if instant < opening:
        return MarketStatus("pre-open", local, "before the 10:00 open", opening)
    if instant < closing:
        return MarketStatus("open", local, "ASX trading session in progress", None)
    return MarketStatus("after-close", local, "after the close", _next_open(today))


def _next_open(after: date) -> datetime:
    day = after + timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return session_utc(day)[0]


# --- weekly UTC windows ------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Window:
    """A weekly window in UTC: minutes after Monday 00:00 UTC, ``start < end <= week``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= WEEK_MINUTES:
            raise ValueError(f"invalid weekly window {self.start}..{self.end}")

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end

    def describe(self) -> str:
        return f"{_fmt_minute(self.start)}-{_fmt_minute(self.end)} UTC"


def _fmt_minute(minute: int) -> str:
    if minute == WEEK_MINUTES:
        return "Sun 24:00"
    day, rest = divmod(minute, DAY_MINUTES)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def _split_week(start: int, end: int) -> list[Window]:
    """Windows for ``start..end`` where either end may fall outside one week."""
    start, end = start % WEEK_MINUTES, start % WEEK_MINUTES + (end - start)
    if end <= WEEK_MINUTES:
        return [Window(start, end)]
    return [Window(start, WEEK_MINUTES), Window(0, end - WEEK_MINUTES)]


def sydney_utc_offsets(year: int | None = None) -> tuple[int, ...]:
    """The distinct UTC offsets (in minutes) Sydney uses in ``year``, from tzdata."""
    year = year or datetime.now(UTC).year
    offsets = set()
    for month in (1, 4, 7, 10):
        offset = datetime(year, month, 15, 12, tzinfo=SYDNEY).utcoffset()
        assert offset is not None
        offsets.add(int(offset.total_seconds() // 60))
    return tuple(sorted(offsets))


def peak_windows(offset_minutes: int) -> list[Window]:
    """The weekday busy periods (07:00-17:00 Sydney, Mon-Fri) under one UTC offset."""
    windows: list[Window] = []
    for weekday in range(5):
        local_start = weekday * DAY_MINUTES + PEAK_START.hour * 60 + PEAK_START.minute
        local_end = weekday * DAY_MINUTES + PEAK_END.hour * 60 + PEAK_END.minute
        windows += _split_week(local_start - offset_minutes, local_end - offset_minutes)
    return windows


def peak_windows_all_offsets() -> list[Window]:
    """Busy periods under every offset Sydney uses: a window must avoid all of them."""
    return sorted(w for offset in sydney_utc_offsets() for w in peak_windows(offset))


def peak_conflicts(windows: list[Window]) -> list[str]:
    """Human-readable clashes of ``windows`` with the busy period, under each offset."""
    clashes = []
    for offset in sydney_utc_offsets():
        label = f"UTC{offset / 60:+g}"
        for window in windows:
            for peak in peak_windows(offset):
                if window.overlaps(peak):
                    clashes.append(
                        f"{window.describe()} falls in the Sydney busy period 07:00-17:00 ({label})"
                    )
                    break
    return clashes


def is_off_peak(windows: list[Window]) -> bool:
    return not peak_conflicts(windows)


def off_peak_windows(min_minutes: int = 30) -> list[Window]:
    """The complement of the busy period, split at every midnight UTC.

    ARC practice-run windows may not cross midnight, so every piece lies within one UTC day;
    pieces shorter than ``min_minutes`` are dropped.
    """
    busy = peak_windows_all_offsets()
    free: list[Window] = []
    for day in range(7):
        cursor, day_end = day * DAY_MINUTES, (day + 1) * DAY_MINUTES
        for peak in busy:
            if peak.end <= cursor or peak.start >= day_end:
                continue
            if peak.start > cursor:
                free.append(Window(cursor, peak.start))
            cursor = max(cursor, peak.end)
        if cursor < day_end:
            free.append(Window(cursor, day_end))
    return [w for w in free if w.end - w.start >= min_minutes]


# --- AWS schedule formats ----------------------------------------------------------------

_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
_DAILY = re.compile(rf"^{_HHMM}-{_HHMM}$")
_WEEKLY = re.compile(
    rf"^(mon|tue|wed|thu|fri|sat|sun):{_HHMM}-(mon|tue|wed|thu|fri|sat|sun):{_HHMM}$"
)


def _day_index(name: str) -> int:
    return DAY_NAMES.index(name.capitalize())


def parse_daily_window(text: str) -> list[Window]:
    """An RDS backup window ``hh24:mi-hh24:mi`` (UTC, every day) as seven weekly windows."""
    match = _DAILY.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a daily window of the form hh24:mi-hh24:mi")
    sh, sm, eh, em = (int(g) for g in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    if end <= start:
        end += DAY_MINUTES
    return sorted(
        w
        for day in range(7)
        for w in _split_week(day * DAY_MINUTES + start, day * DAY_MINUTES + end)
    )


def parse_weekly_window(text: str) -> list[Window]:
    """An RDS maintenance window ``ddd:hh24:mi-ddd:hh24:mi`` (UTC), case-insensitive."""
    match = _WEEKLY.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a weekly window of the form ddd:hh24:mi-ddd:hh24:mi")
    sd, sh, sm, ed, eh, em = match.groups()
    start = _day_index(sd) * DAY_MINUTES + int(sh) * 60 + int(sm)
    end = _day_index(ed) * DAY_MINUTES + int(eh) * 60 + int(em)
    if end <= start:
        end += WEEK_MINUTES
    return _split_week(start, end)


def window_minutes(windows: list[Window]) -> int:
    return sum(w.end - w.start for w in windows)


def parse_arc_window(text: str) -> Window:
    """An ARC practice-run window ``Day:HH:MM-Day:HH:MM``; it must start and end on one day."""
    match = _WEEKLY.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not an ARC window of the form Day:HH:MM-Day:HH:MM")
    sd, sh, sm, ed, eh, em = match.groups()
    if sd != ed:
        raise ValueError(f"{text!r} spans two days; ARC windows must start and end on one day")
    start = _day_index(sd) * DAY_MINUTES + int(sh) * 60 + int(sm)
    end = _day_index(ed) * DAY_MINUTES + int(eh) * 60 + int(em)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts (ARC windows cannot cross midnight)")
    return Window(start, end)


def _clock(minute: int) -> str:
    hour, mins = divmod(minute % DAY_MINUTES, 60)
    return f"{hour:02d}:{mins:02d}"


def format_arc_window(window: Window) -> str:
    """``Day:HH:MM-Day:HH:MM``; a window that runs to midnight ends at 23:59 on its day."""
    day = window.start // DAY_MINUTES
    end = window.end if window.end < (day + 1) * DAY_MINUTES else (day + 1) * DAY_MINUTES - 1
    name = DAY_NAMES[day]
    return f"{name}:{_clock(window.start)}-{name}:{_clock(end)}"


def arc_allowed_windows() -> list[str]:
    """Practice-run windows for ARC: every off-peak stretch of the week, one per UTC day."""
    return [format_arc_window(w) for w in off_peak_windows()]


def _widest_daily_gap() -> tuple[int, int]:
    """The longest stretch of a UTC day that is off-peak on every day of the week."""
    busy_minutes = set()
    for peak in peak_windows_all_offsets():
        busy_minutes.update(m % DAY_MINUTES for m in range(peak.start, peak.end))
    best, run_start, best_span = (0, 0), None, -1
    for minute in range(DAY_MINUTES + 1):
        free = minute < DAY_MINUTES and minute not in busy_minutes
        if free and run_start is None:
            run_start = minute
        elif not free and run_start is not None:
            if minute - run_start > best_span:
                best, best_span = (run_start, minute), minute - run_start
            run_start = None
    return best


def rds_backup_window(minutes: int = 60) -> str:
    """A daily backup window centred in the widest gap that is off-peak in every regime."""
    gap_start, gap_end = _widest_daily_gap()
    if gap_end - gap_start < minutes:
        raise ValueError(f"no off-peak gap of {minutes} minutes exists in a UTC day")
    start = (gap_start + gap_end - minutes) // 2 // 30 * 30
    return f"{_clock(start)}-{_clock(start + minutes)}"


def rds_maintenance_window(minutes: int = 60, gap_after_backup: int = 30) -> str:
    """A weekly maintenance window on the Sydney weekend, just after the daily backup.

    Saturday in UTC is Saturday evening to Sunday morning in Sydney, off-peak under both
    offsets; starting after the backup window (plus a gap) keeps the two from overlapping.
    """
    backup_start, backup_end = (
        int(p[:2]) * 60 + int(p[3:]) for p in rds_backup_window().split("-")
    )
    start = _day_index("sat") * DAY_MINUTES + backup_end + gap_after_backup
    end = start + minutes
    window = f"sat:{_clock(start)}-sat:{_clock(end)}"
    if not is_off_peak(parse_weekly_window(window)) or backup_start > backup_end:
        raise ValueError(f"derived maintenance window {window} is not off-peak")
    return window


def describe_in_sydney(window: Window, offset_minutes: int) -> str:
    """A window shown in Sydney local time under one offset, e.g. ``Sun 00:30-01:30``."""
    start, end = window.start + offset_minutes, window.end + offset_minutes
    day = (start // DAY_MINUTES) % 7
    return f"{DAY_NAMES[day]} {_clock(start)}-{_clock(end)}"
