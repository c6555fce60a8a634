"""Schedules while serving: ``rate(...)`` and ``cron(...)`` fire in UTC, as EventBridge runs them.

``rate(N unit)`` fires every N units from when serving starts; ``cron(min hour day month weekday
year)`` at the matching minutes, UTC, with EventBridge's fields (weekday 1-7 is SUN-SAT,
``MON-FRI``, ``JAN``..., ``L``, ``nW``, ``n#k``, ``nL``, ``?``). ``--no-schedules`` keeps them
from firing; :meth:`Scheduler.fire` runs one now (the dashboard's "run now" and
``POST /_tight/schedules/<name>``).
"""
from __future__ import annotations

import calendar
import datetime
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from ..console import say

UTC = datetime.timezone.utc
UNITS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = {name: i for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                             "NOV", "DEC"), 1)}
DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_RATE = re.compile(r"rate\((\d+) (minute|hour|day)s?\)")


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The numbers a cron field of ``*``, ``?``, lists, ranges and steps allows."""
    found: set[int] = set()
    for part in field.upper().split(","):
        body, _, step = part.partition("/")
        if body in ("*", "?"):
            start, end = low, high
        else:
            first, _, last = body.partition("-")
            start = int(names.get(first, 0) or first) if names else int(first)
            end = (int(names.get(last, 0) or last) if names else int(last)) if last else (high if step else start)
        found.update(range(start, end + 1, int(step) if step else 1))
    return found


def _day_matches(dom: str, dow: str, day: datetime.date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    weekday = (day.isoweekday() % 7) + 1  # EventBridge: 1 = SUN ... 7 = SAT
    if dom != "?":
        if dom == "L":
            return day.day == last
        if dom.endswith("W"):  # the weekday nearest to day n, within the month
            target = datetime.date(day.year, day.month, min(int(dom[:-1]), last))
            if target.isoweekday() == 6:
                target += datetime.timedelta(days=-1 if target.day > 1 else 2)
            elif target.isoweekday() == 7:
                target += datetime.timedelta(days=1 if target.day < last else -2)
            return day == target
        return day.day in _values(dom, 1, 31)
    if "#" in dow:
        name, _, nth = dow.partition("#")
        return weekday == int(DAYS.get(name.upper(), 0) or name) and (day.day - 1) // 7 + 1 == int(nth)
    if dow.upper().endswith("L") and dow.upper() != "L":
        name = dow[:-1]
        return weekday == int(DAYS.get(name.upper(), 0) or name) and day.day + 7 > last
    if dow.upper() == "L":
        return weekday == 7
    return weekday in _values(dow, 1, 7, DAYS)


def next_time(expression: str, after: datetime.datetime, started: datetime.datetime) -> datetime.datetime:
    """The first time after ``after`` (UTC) that ``expression`` fires (rate: counted from ``started``)."""
    rate = _RATE.fullmatch(expression)
    if rate:
        period = int(rate.group(1)) * UNITS[rate.group(2)]
        runs = int((after - started).total_seconds() // period) + 1
        return started + datetime.timedelta(seconds=runs * period)
    minute, hour, dom, month, dow, year = expression[5:-1].split()
    minutes, hours = sorted(_values(minute, 0, 59)), sorted(_values(hour, 0, 23))
    months, years = _values(month, 1, 12, MONTHS), _values(year, 1970, 2199)
    day = after.date()
    for _ in range(366 * 5):
        if day.year in years and day.month in months and _day_matches(dom, dow, day):
            for h in hours:
                for m in minutes:
                    moment = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=UTC)
                    if moment > after:
                        return moment
        day += datetime.timedelta(days=1)
    raise ValueError(f"{expression} does not fire in the next five years")


class Scheduler(threading.Thread):
    """Fires the schedule functions of one app (``run=False``: only when asked, with :meth:`fire`)."""

    def __init__(self, activity, functions: dict[str, dict[str, Any]], run: bool = True,
                 clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(UTC)):
        super().__init__(name="tight-schedules", daemon=True)
        self.activity, self.functions, self.run_them, self.clock = activity, functions, run, clock
        self.stopped = threading.Event()
        self.started = clock().replace(microsecond=0)
        self.due = {name: next_time(s["schedule"], self.started, self.started) for name, s in functions.items()}

    def banner(self) -> list[str]:
        return [f"  {name} (schedule): {s['schedule']}, next "
                + (f"{self.due[name]:%Y-%m-%d %H:%M} UTC" if self.run_them else "never (--no-schedules)")
                + f"; run now: POST /_tight/schedules/{name}" for name, s in sorted(self.functions.items())]

    def run(self) -> None:
        while self.run_them and self.functions and not self.stopped.is_set():
            name = min(self.due, key=self.due.get)
            wait = (self.due[name] - self.clock()).total_seconds()
            if wait > 0:
                self.stopped.wait(min(wait, 1.0))
                continue
            fired_at = self.due[name]
            self.due[name] = next_time(self.functions[name]["schedule"], max(fired_at, self.clock()), self.started)
            self.fire(name, fired_at)

    def stop(self) -> None:
        self.stopped.set()

    def fire(self, name: str, when: datetime.datetime | None = None) -> dict[str, Any]:
        """Run schedule function ``name`` now with EventBridge's event; returns ``{"status", "ms"}``."""
        from tight.dev.sample_events import schedule

        from .sources import line

        moment = (when or self.clock()).strftime("%Y-%m-%dT%H:%M:%SZ")
        started = time.perf_counter()
        try:
            self.activity.call(name, schedule(rule=name, time=moment))
            status = "ok"
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - EventBridge's invocation failed; the schedule goes on
            status = f"error ({type(exc).__name__}: {exc})"
        ms = (time.perf_counter() - started) * 1000
        say(line("schedule", name, 1, status, ms))
        return {"status": status, "ms": round(ms, 1)}
