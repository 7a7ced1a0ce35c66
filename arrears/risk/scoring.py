"""Scoring many accounts as of a date, a batch at a time: features from the record, then the model."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import Engine

from arrears.risk.features import feature_vector
from arrears.risk.history import BATCH, batches, load_histories
from arrears.risk.model import ScoringModel


@dataclass(frozen=True)
class Scored:
    account_id: str
    risk: float
    segment: str
    reasons: list[str]


def score_accounts(
    engine: Engine,
    model: ScoringModel,
    account_ids: Iterable[str],
    as_of: date,
    batch: int = BATCH,
    reasons: bool = True,
) -> Iterator[Scored]:
    """Each account's risk, segment and reasons as of the date; memory bounded by one batch."""
    for chunk in batches(account_ids, batch):
        histories = load_histories(engine, chunk, since=as_of)
        matrix = np.asarray([feature_vector(histories[a], as_of) for a in chunk], dtype=float)
        risk = model.risk(matrix)
        segments = model.segments(risk)
        contributions = model.contributions(matrix) if reasons else None
        for i, account_id in enumerate(chunk):
            yield Scored(
                account_id,
                float(risk[i]),
                segments[i],
                model.reasons(matrix[i], contributions[i]) if contributions is not None else [],
            )
