"""-m time: time of day, weekdays, days of the month and a date range, on the simulated clock.

The simulated clock counts seconds since boot; `WALL_CLOCK_AT_BOOT` says which wall-clock moment
boot was (a Monday, 09:00 UTC), so a scenario's rules see the same time on every run. The kernel's
own time zone is UTC in the simulator, so `--kerneltz` changes the printing only.
Printing follows libxt_time: times as HH:MM:SS, weekday names, the default `--datestop`
2038-01-19T03:14:07 always saved, `--utc` accepted and not printed.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from typing import ClassVar

from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import Refused, problem

WALL_CLOCK_AT_BOOT = 1_767_603_600
"""2026-01-05T09:00:00Z, a Monday morning: the wall clock when the simulated host booted."""
DAY = 86400
DATE_MAX = 0x7FFFFFFF
"""The default --datestop (INT_MAX seconds: 2038-01-19T03:14:07)."""
ALL_WEEKDAYS = 0xFE
ALL_MONTHDAYS = 0xFFFFFFFE
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$")


def wall_clock(now: float) -> int:
    """Seconds since the epoch at simulated time `now` (ktime_get_real_seconds)."""
    return WALL_CLOCK_AT_BOOT + int(now)


@dataclass(frozen=True, slots=True)
class TimeMatch(Match):
    """The fields of struct xt_time_info, as the rule stores them."""

    name: ClassVar[str] = "time"
    date_start: int = 0
    date_stop: int = DATE_MAX
    daytime_start: int = 0
    daytime_stop: int = DAY - 1
    weekdays: int = ALL_WEEKDAYS
    monthdays: int = ALL_MONTHDAYS
    kerneltz: bool = False
    contiguous: bool = False

    def save(self) -> str:
        """` --timestart 09:00:00 --timestop 17:00:00 --weekdays Mon,Fri --datestop 2038-01-19T03:14:07`."""
        text = ""
        if (self.daytime_start, self.daytime_stop) != (0, DAY - 1):
            text += f" --timestart {_clock(self.daytime_start)} --timestop {_clock(self.daytime_stop)}"
        if self.monthdays != ALL_MONTHDAYS:
            text += " --monthdays " + ",".join(str(d) for d in _days(self.monthdays, 31))
        if self.weekdays != ALL_WEEKDAYS:
            text += " --weekdays " + ",".join(WEEKDAYS[d - 1] for d in _days(self.weekdays, 7))
        if self.date_start:
            text += f" --datestart {_date(self.date_start, 'T')}"
        text += f" --datestop {_date(self.date_stop, 'T')}"
        text += " --kerneltz" if self.kerneltz else ""
        return text + (" --contiguous" if self.contiguous else "")

    def listing(self, numeric: bool) -> str:
        """` TIME from 09:00:00 to 17:00:00 on Mon,Fri starting from 2020-01-01 00:00:00 UTC`."""
        text = " TIME"
        if (self.daytime_start, self.daytime_stop) != (0, DAY - 1):
            text += f" from {_clock(self.daytime_start)} to {_clock(self.daytime_stop)}"
        if self.weekdays != ALL_WEEKDAYS:
            text += " on " + ",".join(WEEKDAYS[d - 1] for d in _days(self.weekdays, 7))
        if self.monthdays != ALL_MONTHDAYS:
            # libxt_time picks the suffix from the last digit alone (11st, 12nd, 13rd).
            text += " on " + ",".join(f"{d}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"
                                      for d in _days(self.monthdays, 31))
        if self.date_start:
            text += f" starting from {_date(self.date_start, ' ')}"
        if self.date_stop != DATE_MAX:
            text += f" until date {_date(self.date_stop, ' ')}"
        text += "" if self.kerneltz else " UTC"
        return text + (" contiguous" if self.contiguous else "")

    def checks(self, state: RulesetState) -> list[Check]:
        """time_mt(): date range, time of day (wrapping past midnight), weekday, day of month."""
        m = self

        def check(p: Packet, c: MatchContext) -> bool:
            stamp = wall_clock(c.now)
            if stamp < m.date_start or stamp > m.date_stop:
                return False
            of_day = stamp % DAY
            if m.daytime_start < m.daytime_stop:
                if of_day < m.daytime_start or of_day > m.daytime_stop:
                    return False
            else:
                if m.daytime_stop < of_day < m.daytime_start:
                    return False
                if m.contiguous and of_day <= m.daytime_stop:
                    # The part after midnight belongs to the day the window opened.
                    stamp -= DAY
            weekday = (4 + stamp // DAY - 1) % 7 + 1
            if not m.weekdays & (1 << weekday):
                return False
            if m.monthdays != ALL_MONTHDAYS and not m.monthdays & (1 << time.gmtime(stamp).tm_mday):
                return False
            return True

        return [(check, self.save().strip())]


def _days(mask: int, last: int) -> list[int]:
    return [d for d in range(1, last + 1) if mask & (1 << d)]


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _date(stamp: int, sep: str) -> str:
    t = time.gmtime(stamp)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}{sep}{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def _parse_date(text: str) -> int:
    """time_parse_date(): YYYY[-MM[-DD[Thh[:mm[:ss]]]]] in UTC, years 1970-2037."""
    found = _DATE.match(text)
    bad = problem(f'Invalid date "{text}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]')
    if found is None:
        raise bad
    year, month, day, hour, minute, second = (int(g) if g is not None else d
                                              for g, d in zip(found.groups(), (0, 1, 1, 0, 0, 0), strict=True))
    if not (1970 <= year <= 2037 and 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59
            and second <= 59):
        raise bad
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def _parse_clock(text: str) -> int:
    """time_parse_minutes(): hh:mm[:ss] within a day."""
    parts = text.split(":")
    if len(parts) in (2, 3) and all(p.isdigit() and len(p) <= 2 for p in parts):
        hour, minute, second = (int(p) for p in (*parts, "0")[:3])
        if hour <= 23 and minute <= 59 and second <= 59:
            return hour * 3600 + minute * 60 + second
    # libxt_time names the part it gave up on, as it does.
    rest = text.split(":", 1)[1] if ":" in text and parts[0].isdigit() and int(parts[0]) <= 23 else text
    if ":" in rest and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) <= 59:
        rest = rest.split(":", 1)[1]
    raise problem(f'invalid time "{rest}" specified, should be hh:mm[:ss] format and within the boundaries')


def _weekdays(text: str) -> int:
    mask = 0
    for word in text.split(","):
        if word.isdigit():
            # Numbers are taken as they come (libxt_time does not check them: 8 selects no day).
            mask |= 1 << int(word) if int(word) < 32 else 0
        elif word in WEEKDAYS:
            mask |= 1 << (WEEKDAYS.index(word) + 1)
        else:
            raise problem(f"{word} is not a valid day specifier")
    return mask


def _monthdays(text: str) -> int:
    mask = 0
    for word in text.split(","):
        if not word.isdigit() or int(word) > 31:
            raise problem(f"{word} is not a valid day for --monthdays")
        mask |= 1 << int(word)
    return mask & ALL_MONTHDAYS


def _build(opts: list[Opt], info: RuleInfo) -> TimeMatch:
    fields: dict[str, object] = {}
    for opt in opts:
        if opt.name in ("--datestart", "--datestop"):
            fields["date_" + opt.name[6:]] = _parse_date(opt.arg)
        elif opt.name in ("--timestart", "--timestop"):
            fields["daytime_" + opt.name[6:]] = _parse_clock(opt.arg)
        elif opt.name == "--weekdays":
            mask = _weekdays(opt.arg)
            fields["weekdays"] = (mask ^ ALL_WEEKDAYS if opt.invert else mask) & 0xFF
        elif opt.name == "--monthdays":
            mask = _monthdays(opt.arg)
            fields["monthdays"] = mask ^ ALL_MONTHDAYS if opt.invert else mask
        elif opt.name in ("--kerneltz", "--localtz"):
            fields["kerneltz"] = True
        elif opt.name == "--utc":
            fields["kerneltz"] = False
        elif opt.name == "--contiguous":
            fields["contiguous"] = True
    match = TimeMatch(**fields)  # type: ignore[arg-type]
    if match.contiguous and match.daytime_start < match.daytime_stop:
        raise problem("time: --contiguous only makes sense when stoptime is smaller than starttime")
    if match.date_start > DATE_MAX or match.date_stop > DATE_MAX:
        raise Refused()
    return match


register_match(Spec("time", {"--datestart": 1, "--datestop": 1, "--timestart": 1, "--timestop": 1,
                             "--weekdays": 1, "--monthdays": 1, "--kerneltz": 0, "--localtz": 0, "--utc": 0,
                             "--contiguous": 0}, _build, frozenset({"--weekdays", "--monthdays"})))
