"""local.serve's schedules: when rate() and cron() fire (UTC, EventBridge's fields), and the Scheduler."""
from __future__ import annotations

import datetime
import threading

import pytest

from tight_tasks.local.schedules import Scheduler, next_time

UTC = datetime.timezone.utc


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


START = at("2026-12-07 17:42:10")


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("rate(5 minutes)", "2026-12-07 17:42:10", "2026-12-07 17:47:10"),
    ("rate(5 minutes)", "2026-12-07 17:47:10", "2026-12-07 17:52:10"),
    ("rate(1 hour)", "2026-12-07 20:00:00", "2026-12-07 20:42:10"),
    ("rate(2 days)", "2026-12-07 17:42:10", "2026-12-09 17:42:10"),
    ("cron(0 3 * * ? *)", "2026-12-07 17:42:10", "2026-12-08 03:00:00"),
    ("cron(0/15 * * * ? *)", "2026-12-07 17:42:10", "2026-12-07 17:45:00"),
    ("cron(0 10 ? * MON-FRI *)", "2026-12-11 10:00:00", "2026-12-14 10:00:00"),   # Friday -> Monday
    ("cron(0 8 ? * 1 *)", "2026-12-07 17:42:10", "2026-12-13 08:00:00"),          # 1 is Sunday
    ("cron(0 0 L * ? *)", "2026-02-01 00:00:00", "2026-02-28 00:00:00"),
    ("cron(0 0 1W * ? *)", "2026-02-15 00:00:00", "2026-03-02 00:00:00"),         # March 1st 2026 is a Sunday
    ("cron(0 0 ? * 6#3 *)", "2026-12-01 00:00:00", "2026-12-18 00:00:00"),        # third Friday
    ("cron(0 0 ? * 2L *)", "2026-12-01 00:00:00", "2026-12-28 00:00:00"),         # last Monday
    ("cron(30 12 1 JAN,JUL ? 2027)", "2026-12-07 17:42:10", "2027-01-01 12:30:00"),
])
def test_next_time(expression, after, expected):
    assert next_time(expression, at(after), START) == at(expected)


def test_a_cron_that_never_fires_again_says_so():
    with pytest.raises(ValueError, match="does not fire in the next five years"):
        next_time("cron(0 0 1 1 ? 2020)", START, START)


class Calls:
    def __init__(self):
        self.events, self.done = [], threading.Event()

    def call(self, name, event):
        self.events.append((name, event))
        self.done.set()


def test_the_scheduler_fires_what_is_due_with_eventbridges_event():
    now = [START]
    calls = Calls()
    scheduler = Scheduler(calls, {"nightly": {"schedule": "rate(1 minute)"}}, clock=lambda: now[0])
    assert scheduler.due == {"nightly": at("2026-12-07 17:43:10")}
    now[0] = at("2026-12-07 17:43:11")
    scheduler.start()
    try:
        assert calls.done.wait(5)
    finally:
        scheduler.stop()
        scheduler.join(5)
    name, event = calls.events[0]
    assert name == "nightly" and event["time"] == "2026-12-07T17:43:10Z" and event["detail-type"] == "Scheduled Event"
    assert scheduler.due["nightly"] == at("2026-12-07 17:44:10")


def test_no_schedules_fires_only_on_request():
    calls = Calls()
    scheduler = Scheduler(calls, {"nightly": {"schedule": "rate(1 minute)"}}, run=False,
                          clock=lambda: at("2030-01-01 00:00:00"))
    scheduler.start()
    scheduler.join(2)
    assert not scheduler.is_alive() and calls.events == []
    assert scheduler.fire("nightly")["status"] == "ok"
    assert [name for name, _ in calls.events] == ["nightly"]
