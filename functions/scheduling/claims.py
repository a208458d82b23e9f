"""Claims make double booking impossible by construction.

A clinician's time is divided into cells of GRID_MINUTES. Whatever holds time (a confirmed
appointment, a pending request) owns one claim record per cell its interval touches, each
written with "must not exist" in the same transaction as the appointment or request. Because
every start lies on the grid, two intervals share a cell exactly when they overlap, so two holds
that overlap, whatever their lengths, can never both be written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .config import GRID_MINUTES
from .slots import on_grid

_CELL = timedelta(minutes=GRID_MINUTES)


def cells(start: datetime, end: datetime) -> list[datetime]:
    """The grid cells (their UTC starts) that [start, end) touches."""
    if not on_grid(start):
        raise ValueError("claims start on the grid")
    cell = start.astimezone(UTC)
    found = []
    while cell < end:
        found.append(cell)
        cell += _CELL
    return found
