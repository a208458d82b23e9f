"""Scheduled jobs: each a plain function of (store, now), run by its scheduled Lambda function in
AWS, and locally by the stack's timer (every minute) and `POST /dev/tick`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from functions.store import Store

from . import offers, reminders, waitlist

JOBS: dict[str, Callable[[Store, datetime], Any]] = {
    "reminders": reminders.run,
    "offers": offers.run,
    "waitlist": waitlist.run,
}


def run_all(store: Store, now: datetime) -> list[str]:
    """Run every job once as if the time were `now`; the names of the jobs run, in order."""
    for job in JOBS.values():
        job(store, now)
    return list(JOBS)
