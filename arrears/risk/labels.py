"""What a model predicts: the targets and their labels, from the record's own history (pure).

A labelled row is an (account, snapshot date) pair: the features as of the
snapshot, and what the record shows happened in the horizon after it. A row
whose horizon runs past the label end (the day the record is known up to) is
left out rather than guessed, and so is one whose outcome says nothing about
risk (an episode closed by an operator, e.g. a sold account).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from arrears.risk.features import CURES, History, cutoff, known_months, open_episode


@dataclass(frozen=True)
class Target:
    name: str
    horizon_days: int
    population: str  # current: accounts not in an episode | delinquent: accounts in one, past due
    positive_means_risk: bool  # False: a positive label is good news (a cure)
    meaning: str


TARGETS = {
    t.name: t
    for t in (
        Target(
            "delinquent_90d",
            90,
            "current",
            True,
            "an account not in arrears misses a due date within 90 days (early warning)",
        ),
        Target(
            "roll_forward_60d",
            60,
            "delinquent",
            True,
            "an episode past due is neither cured nor settled within 60 days (it rolls at least two buckets)",
        ),
        Target("cure_30d", 30, "delinquent", False, "an episode past due is cured within 30 days"),
    )
}


def target(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"unknown target {name!r}; use one of {', '.join(TARGETS)}") from None


def eligible(t: Target, history: History, snapshot: date) -> bool:
    """Whether the account belongs to the target's population on the snapshot date."""
    current = open_episode(history, snapshot)
    if t.population == "current":
        return current is None and bool(known_months(history.months, snapshot))
    return current is not None and current.due_date < snapshot and current.trigger != "over_limit"


def label(t: Target, history: History, snapshot: date, label_end: date) -> int | None:
    """1 or 0 for an eligible account; None when the horizon is not over by label_end or says nothing."""
    end = snapshot + timedelta(days=t.horizon_days)
    if end > label_end:
        return None
    tz = history.timezone
    if t.population == "current":
        for e in history.episodes:
            # A pre-due episode paid on time and an over-limit episode are not a missed due date.
            if snapshot <= e.due_date < end and e.outcome != "paid_on_time" and e.trigger != "over_limit":
                return 1
        return 0
    episode = open_episode(history, snapshot)
    if episode is None:  # pragma: no cover - callers check eligible() first
        return None
    closed_in_time = episode.closed_at is not None and episode.closed_at < cutoff(end, tz)
    if not closed_in_time:
        return 1 if t.name == "roll_forward_60d" else 0
    if episode.outcome == "closed":
        return None
    if t.name == "roll_forward_60d":
        return 0 if episode.outcome in CURES else 1
    return 1 if episode.outcome in ("cured", "paid_on_time") else 0
