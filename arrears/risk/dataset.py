"""The labelled set a model learns from, and feature matrices to score (reads the record).

Snapshots are dates (monthly from a window's start); each eligible (account,
snapshot) pair is one row: its features as of the snapshot and its label from
what the record shows after it (arrears.risk.labels).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import Engine

from arrears.domain.months import add_months
from arrears.risk.features import NAMES, feature_vector
from arrears.risk.history import all_accounts, batches, load_histories
from arrears.risk.labels import eligible, label, target


@dataclass
class LabelledSet:
    target: str
    matrix: np.ndarray  # rows x arrears.risk.features.NAMES
    labels: np.ndarray
    accounts: list[str]
    snapshots: list[date]  # the row's snapshot
    label_end: date

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> "LabelledSet":
        keep = np.flatnonzero(mask)
        return LabelledSet(
            self.target,
            self.matrix[keep],
            self.labels[keep],
            [self.accounts[i] for i in keep],
            [self.snapshots[i] for i in keep],
            self.label_end,
        )


def parse_window(text: str) -> tuple[date, date]:
    """``2026-01-01..2026-06-01`` or ``2026-01..2026-06`` (months mean their first day); one date is a one-day window."""

    def one(part: str) -> date:
        part = part.strip()
        try:
            return date.fromisoformat(part + "-01" if len(part) == 7 else part)
        except ValueError:
            raise ValueError(f"window: {part!r} is not a date (YYYY-MM-DD) or a month (YYYY-MM)") from None

    start, sep, end = text.partition("..")
    first, last = one(start), one(end) if sep else one(start)
    if last < first:
        raise ValueError(f"window: {text!r} ends before it starts")
    return first, last


def snapshot_dates(start: date, end: date) -> list[date]:
    """Monthly from ``start`` (the same day of each month) up to ``end``."""
    out, k = [], 0
    while (day := add_months(start, k)) <= end:
        out.append(day)
        k += 1
    return out


def build_labelled_set(
    engine: Engine,
    target_name: str,
    snapshots: list[date],
    label_end: date,
    progress: Callable[[int], None] | None = None,
) -> LabelledSet:
    t = target(target_name)
    rows: list[list[float]] = []
    labels: list[int] = []
    accounts: list[str] = []
    days: list[date] = []
    candidates = all_accounts(engine)
    for batch in batches(candidates):
        histories = load_histories(engine, batch, since=min(snapshots))
        for account_id in batch:
            history = histories[account_id]
            for snapshot in snapshots:
                if not eligible(t, history, snapshot):
                    continue
                y = label(t, history, snapshot, label_end)
                if y is None:
                    continue
                rows.append(feature_vector(history, snapshot))
                labels.append(y)
                accounts.append(account_id)
                days.append(snapshot)
        if progress:
            progress(len(batch))
    matrix = np.asarray(rows, dtype=float).reshape(len(rows), len(NAMES))
    return LabelledSet(target_name, matrix, np.asarray(labels, dtype=int), accounts, days, label_end)
