"""What a job's run came to, counted by outcome, and how a run that could not do everything ends."""

from __future__ import annotations


class Incomplete(RuntimeError):
    """A run left some of its work for the next run (each item it could not finish was logged
    with its id and error code). The scheduled function fails, so the stack's error alarm sees it
    and EventBridge runs it again; every job is safe to run again."""


def finish(job: str, outcomes: dict[str, int]) -> dict[str, int]:
    """The run's outcomes, or Incomplete when any item ended in `error`."""
    if outcomes.get("error"):
        raise Incomplete(f"{job}: {outcomes['error']} left for the next run ({outcomes})")
    return outcomes
