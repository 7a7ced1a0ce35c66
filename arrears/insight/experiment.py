"""Champion/challenger: which arm a new episode runs, recorded before it starts; moving the traffic.

An account's arm is a deterministic function of its id and the experiment's name: a SHA-256 of
both gives a point from 0 to 9,999, and the arms' shares (percent, to the hundredth) cut that
range in the order the file lists them. The same account lands in the same arm on every run and
every machine; a share of 30 % takes 3,000 of the 10,000 points. One row per episode (account and
due date) is written to ``experiment_assignments`` before the workflow starts, and a repeated
import reuses it, so an episode's arm never changes under it, even after the traffic moves.

``arrears strategy promote`` records a decision (who, why, the evidence) in ``experiment_decisions``;
new assignments then use its shares instead of the file's.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio.common import SearchAttributePair

from arrears.db.models import ExperimentAssignment, ExperimentDecision
from arrears.domain.strategy import Experiment, Strategy
from arrears.runtime import search_attributes as sa

POINTS = 10_000


class ExperimentError(ValueError):
    """A decision that cannot be recorded; the message says why."""


def hash_point(experiment: str, account_id: str) -> int:
    digest = hashlib.sha256(f"{experiment}\x1f{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % POINTS


def choose_arm(shares: list[tuple[str, Decimal]], point: int) -> str:
    """The arm whose slice of the 10,000 points holds ``point`` (arms in the order given)."""
    edge = Decimal(0)
    for name, share in shares:
        edge += share * POINTS / 100
        if point < edge:
            return name
    raise ExperimentError(f"shares {shares} do not cover point {point}: they must add up to 100")


def file_shares(experiment: Experiment) -> list[tuple[str, Decimal]]:
    return [(a.name, a.share) for a in experiment.arms]


def current_shares(session: Session, experiment: Experiment) -> tuple[int, list[tuple[str, Decimal]]]:
    """(version, shares): the last recorded decision's, else the file's (version 0)."""
    last = session.scalar(
        select(ExperimentDecision)
        .where(ExperimentDecision.experiment == experiment.name)
        .order_by(ExperimentDecision.version.desc())
        .limit(1)
    )
    if last is None:
        return 0, file_shares(experiment)
    # In the file's arm order, so a point keeps its place when shares move.
    return last.version, [(a.name, Decimal(last.shares.get(a.name, "0"))) for a in experiment.arms]


@dataclass(frozen=True)
class Assignment:
    experiment: str
    arm: str
    point: int
    strategy: Strategy  # the arm's, with no experiment section
    strategy_hash: str

    @property
    def label(self) -> str:
        """The ExperimentArm search attribute: "<experiment>:<arm>"."""
        return f"{self.experiment}:{self.arm}"


def assign(engine: Engine, account_id: str, due_date: date, strategy: Strategy, now: datetime) -> Assignment | None:
    """The episode's arm: the one recorded for this account and due date, else chosen now and recorded."""
    experiment = strategy.experiment
    if experiment is None:
        return None
    with Session(engine) as session:
        row = _recorded(session, experiment.name, account_id, due_date)
        if row is None:
            version, shares = current_shares(session, experiment)
            point = hash_point(experiment.name, account_id)
            arm = choose_arm(shares, point)
            chosen = _arm_strategy(experiment, arm)
            session.add(
                ExperimentAssignment(
                    experiment=experiment.name,
                    arm=arm,
                    account_id=account_id,
                    due_date=due_date,
                    point=point,
                    traffic_version=version,
                    strategy_name=chosen.name,
                    strategy_hash=chosen.content_hash(),
                    assigned_at=now,
                )
            )
            try:
                session.commit()
            except IntegrityError:  # another import recorded it first: theirs stands
                session.rollback()
                row = _recorded(session, experiment.name, account_id, due_date)
                assert row is not None  # the unique key that refused ours names the row that stands
            else:
                return Assignment(experiment.name, arm, point, chosen, chosen.content_hash())
    chosen = _arm_strategy(experiment, row.arm)
    return Assignment(experiment.name, row.arm, row.point, chosen, chosen.content_hash())


def _recorded(session: Session, experiment: str, account_id: str, due_date: date) -> ExperimentAssignment | None:
    return session.scalar(
        select(ExperimentAssignment).where(
            ExperimentAssignment.experiment == experiment,
            ExperimentAssignment.account_id == account_id,
            ExperimentAssignment.due_date == due_date,
        )
    )


def _arm_strategy(experiment: Experiment, arm: str) -> Strategy:
    loaded = experiment.arm(arm).loaded
    if loaded is None:
        raise ExperimentError(
            f"experiment {experiment.name}: arm {arm}'s strategy was not loaded "
            "(load the strategy file with load_strategy, which reads each arm's file)"
        )
    return loaded


async def episode_arm(engine: Engine, row, inp, now: datetime):
    """For the importer: (the episode input with its arm's strategy, the arm) or (input, None) with no experiment.

    Recorded before the start, so the record always knows an episode's arm before Temporal does.
    """
    if inp.strategy.experiment is None:
        return inp, None
    chosen = await asyncio.to_thread(assign, engine, row.account_id, row.due_date, inp.strategy, now)
    assert chosen is not None  # assign answers for every strategy with an experiment
    return inp.model_copy(update={"strategy": chosen.strategy, "strategy_hash": chosen.strategy_hash}), chosen


def search_attribute(chosen: Assignment | None) -> list[SearchAttributePair]:
    return [] if chosen is None else [SearchAttributePair(sa.EXPERIMENT_ARM, chosen.label)]


# ---- moving the traffic -------------------------------------------------------------------------


def promote(
    session: Session,
    experiment: Experiment,
    arm: str,
    decided_by: str,
    reason: str,
    now: datetime,
    shares: dict[str, Decimal] | None = None,
    evidence: dict | None = None,
) -> ExperimentDecision:
    """Record who moved the traffic, why and on what evidence; new episodes follow the new shares."""
    names = [a.name for a in experiment.arms]
    if arm not in names:
        raise ExperimentError(f"experiment {experiment.name} has no arm {arm!r} (arms: {', '.join(names)})")
    if not decided_by.strip():
        raise ExperimentError("--by: say who decides (kept on record)")
    if not reason.strip():
        raise ExperimentError("--reason: say why (kept on record)")
    wanted = {name: Decimal(100) if name == arm else Decimal(0) for name in names} if shares is None else dict(shares)
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        raise ExperimentError(f"--share: no arm {', '.join(unknown)} in {experiment.name} (arms: {', '.join(names)})")
    wanted = {name: Decimal(wanted.get(name, 0)) for name in names}
    for name, share in wanted.items():
        if share < 0 or share > 100 or share != share.quantize(Decimal("0.01")):
            raise ExperimentError(f"--share {name}: a percentage from 0 to 100 to the hundredth, got {share}")
    if sum(wanted.values()) != 100:
        raise ExperimentError(f"--share: the shares must add up to 100, got {sum(wanted.values())}")
    if wanted[arm] == 0:
        raise ExperimentError(f"promoting {arm} with a share of 0 moves no traffic to it")
    version, before = current_shares(session, experiment)
    if dict(before) == wanted:
        raise ExperimentError(f"the traffic is already {_text(wanted)}: nothing to record")
    decision = ExperimentDecision(
        experiment=experiment.name,
        version=version + 1,
        promoted_arm=arm,
        previous_shares={k: str(v) for k, v in before},
        shares={k: str(v) for k, v in wanted.items()},
        decided_by=decided_by.strip(),
        reason=reason.strip(),
        evidence=evidence or {},
        decided_at=now,
    )
    session.add(decision)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ExperimentError(
            f"another decision on {experiment.name} was recorded meanwhile; look at it and try again"
        ) from None
    return decision


def _text(shares: dict[str, Decimal]) -> str:
    return ", ".join(f"{k} {v.normalize():f} %" for k, v in shares.items())


def decisions(session: Session, name: str) -> list[ExperimentDecision]:
    return list(
        session.scalars(
            select(ExperimentDecision).where(ExperimentDecision.experiment == name).order_by(ExperimentDecision.version)
        )
    )


def assigned_counts(session: Session, name: str) -> dict[str, int]:
    return dict(
        session.execute(
            select(ExperimentAssignment.arm, func.count())
            .where(ExperimentAssignment.experiment == name)
            .group_by(ExperimentAssignment.arm)
        ).all()
    )
