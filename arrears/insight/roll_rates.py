"""Roll rates and cures for `arrears report portfolio`: each account's state at each month end,
how accounts move between states from one month end to the next, and the tables and charts of it.

An account's state at a month end is that of its latest episode started by the end of the month's
last day in the account's own zone:

- closed by then: ``current`` if cured or paid on time, ``M7+/CO`` if charged off, else ``closed``
  (settled, or closed by an operator);
- open: its bucket by DPD on that day, counted from the episode's due date (M1 = 1-30, ...,
  M6 = 151-180, M7+ beyond; 0 or less is ``current``), and its overdue amount is the episode's
  opening overdue less the payments made by then (interest and fees accrued since are not in it).

Only episodes in the report's currency are counted, so every amount adds up.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, and_, case, func, literal, select, union, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arrears.db.models import (
    Account,
    ContactOutcomeRecord,
    Episode,
    Payment,
    Plan,
    PromiseToPay,
    Settlement,
)
from arrears.db.types import UtcDateTime
from arrears.domain.months import add_months
from arrears.domain.policy import CONVERSATION_OUTCOMES
from arrears.insight.measures import ratio
from arrears.insight.report import Chart, Column, Report, Table
from arrears.insight.sqlfn import date_diff, from_units, greatest0, money_units

BUCKETS = ["current", "M1", "M2", "M3", "M4", "M5", "M6", "M7+/CO"]
STATES = [*BUCKETS, "closed"]
DELINQUENT = BUCKETS[1:-1]  # M1..M6: where cures and roll-forwards are measured


def _month_ends(zones: list[str], months: list[date]):
    """(m, tz, cutoff, end_date) for each month and zone: the end of the month's last local day, in UTC."""
    parts = []
    for index, first in enumerate(months):
        last = add_months(first, 1) - timedelta(days=1)
        for zone in zones:
            cutoff = datetime.combine(last + timedelta(days=1), time(0), ZoneInfo(zone))
            parts.append(
                select(
                    literal(index, Integer).label("m"),
                    literal(zone, String).label("tz"),
                    literal(cutoff, UtcDateTime()).label("cutoff"),
                    literal(last, Date).label("end_date"),
                )
            )
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("month_ends")


def _touched_episodes():
    """Episodes someone worked: a conversation, a promise, a plan or a settlement offer (not a self-cure)."""
    return union(
        select(ContactOutcomeRecord.episode_id).where(ContactOutcomeRecord.outcome.in_(CONVERSATION_OUTCOMES)),
        select(PromiseToPay.episode_id),
        select(Plan.episode_id),
        select(Settlement.episode_id),
    ).subquery("touched")


def _state(snapshot) -> tuple[ColumnElement[str], ColumnElement[bool]]:
    closed_then = and_(snapshot.c.closed_at.is_not(None), snapshot.c.closed_at < snapshot.c.cutoff)
    dpd = snapshot.c.dpd
    return case(
        (and_(closed_then, snapshot.c.outcome.in_(("cured", "paid_on_time"))), "current"),
        (and_(closed_then, snapshot.c.outcome == "charged_off"), "M7+/CO"),
        (closed_then, "closed"),
        (dpd <= 0, "current"),
        (dpd <= 30, "M1"),
        (dpd <= 60, "M2"),
        (dpd <= 90, "M3"),
        (dpd <= 120, "M4"),
        (dpd <= 150, "M5"),
        (dpd <= 180, "M6"),
        else_="M7+/CO",
    ), closed_then


def transitions(session: Session, months: list[date], currency: str) -> list[tuple]:
    """(m, from_state, to_state, accounts, from_amount, self_cures) for each pair of consecutive month ends."""
    zones = list(session.scalars(select(Account.timezone).distinct()))
    if not zones or len(months) < 2:
        return []
    me = _month_ends(zones, months)
    e, a = Episode, Account
    base = (
        select(
            e.account_id,
            me.c.m,
            me.c.cutoff,
            e.episode_id,
            e.outcome,
            e.closed_at,
            date_diff(e.due_date, me.c.end_date).label("dpd"),
            money_units(e.opening_overdue).label("opening"),
            func.row_number()
            .over(partition_by=(e.account_id, me.c.m), order_by=(e.started_at.desc(), e.episode_id.desc()))
            .label("rn"),
        )
        .join(a, a.account_id == e.account_id)
        .join(me, me.c.tz == a.timezone)
        .where(e.started_at < me.c.cutoff, e.currency == currency)
    ).subquery("base")
    p = Payment
    paid = (
        select(p.episode_id, me.c.m, func.sum(money_units(p.amount)).label("units"))
        .join(a, a.account_id == p.account_id)
        .join(me, me.c.tz == a.timezone)
        .where(p.paid_at < me.c.cutoff, p.currency == currency)
        .group_by(p.episode_id, me.c.m)
    ).subquery("paid")
    state, closed_then = _state(base)
    owed = case((closed_then, 0), else_=greatest0(base.c.opening - func.coalesce(paid.c.units, 0)))
    snap = (
        select(base.c.account_id, base.c.m, base.c.episode_id, state.label("state"), owed.label("owed"))
        .select_from(base.outerjoin(paid, and_(paid.c.episode_id == base.c.episode_id, paid.c.m == base.c.m)))
        .where(base.c.rn == 1)
    ).subquery("snap")
    moves = select(
        snap.c.m,
        snap.c.episode_id,
        snap.c.state.label("from_state"),
        snap.c.owed,
        func.lead(snap.c.state).over(partition_by=snap.c.account_id, order_by=snap.c.m).label("to_state"),
        func.lead(snap.c.m).over(partition_by=snap.c.account_id, order_by=snap.c.m).label("to_m"),
    ).subquery("moves")
    touched = _touched_episodes()
    self_cure = case(
        (and_(moves.c.to_state == "current", moves.c.from_state.in_(DELINQUENT), touched.c.episode_id.is_(None)), 1),
        else_=0,
    )
    rows = session.execute(
        select(
            moves.c.m, moves.c.from_state, moves.c.to_state, func.count(), func.sum(moves.c.owed), func.sum(self_cure)
        )
        .select_from(moves.outerjoin(touched, touched.c.episode_id == moves.c.episode_id))
        .where(moves.c.to_state.is_not(None), moves.c.to_m == moves.c.m + 1)
        .group_by(moves.c.m, moves.c.from_state, moves.c.to_state)
    ).all()
    return [(m, f, t, n, from_units(u), int(s or 0)) for m, f, t, n, u, s in rows]


def roll_matrix(moves: list[tuple]) -> tuple[dict, dict]:
    """Counts and amounts from each state to each state, summed over the months."""
    counts: dict = defaultdict(int)
    amounts: dict = defaultdict(Decimal)
    for _m, f, t, n, amount, _s in moves:
        counts[(f, t)] += n
        amounts[(f, t)] += amount
    return counts, amounts


def _flow_to_charge_off(counts: dict) -> dict[str, Decimal | None]:
    """From each bucket, the product of the roll-forward rates to the next bucket, on to charge-off."""
    forward = {}
    for i, bucket in enumerate(BUCKETS[1:-1], start=1):
        total = sum(counts.get((bucket, s), 0) for s in STATES)
        forward[bucket] = Decimal(counts.get((bucket, BUCKETS[i + 1]), 0)) / total if total else None
    flow = {}
    for i, bucket in enumerate(BUCKETS[1:-1], start=1):
        product: Decimal | None = Decimal(1)
        for step in BUCKETS[i:-1]:
            rate = forward[step]
            product = None if product is None or rate is None else product * rate
        flow[bucket] = None if product is None else product.quantize(Decimal("0.0001"))
    return flow


def roll_tables(report: Report, counts: dict, amounts: dict, moves: list[tuple], months: list[date]) -> None:
    present = [s for s in STATES if any(counts.get((s, t)) for t in STATES)]
    targets = [t for t in STATES if any(counts.get((s, t)) for s in STATES)]
    rows, amount_rows, heat, labels = [], [], [], []
    for s in present:
        total = sum(counts.get((s, t), 0) for t in STATES)
        rows.append([s, total, *(ratio(counts.get((s, t), 0), total) for t in targets)])
        amount_rows.append(
            [
                s,
                sum((amounts.get((s, t), Decimal(0)) for t in STATES), Decimal(0)),
                *(amounts.get((s, t), Decimal(0)) for t in targets),
            ]
        )
        heat.append([float(ratio(counts.get((s, t), 0), total) or 0) for t in targets])
        labels.append([f"{counts.get((s, t), 0)}" if counts.get((s, t)) else "" for t in targets])
    cols = [
        Column("from_state", "from \\ to"),
        Column("accounts", "accounts", "int"),
        *(Column(t, t, "rate") for t in targets),
    ]
    report.tables.append(
        Table(
            "roll_rates",
            "roll-rate matrix: share of accounts moving month end to month end",
            cols,
            rows,
            note="rows: the state at a month end; columns: the state at the next month end; summed over the months",
        )
    )
    report.tables.append(
        Table(
            "roll_counts",
            "roll-rate matrix: accounts",
            [
                Column("from_state", "from \\ to"),
                Column("accounts", "accounts", "int"),
                *(Column(t, t, "int") for t in targets),
            ],
            [
                [s, sum(counts.get((s, t), 0) for t in STATES), *(counts.get((s, t), 0) for t in targets)]
                for s in present
            ],
        )
    )
    report.tables.append(
        Table(
            "roll_amounts",
            "roll-rate matrix: overdue amount at the first month end",
            [
                Column("from_state", "from \\ to"),
                Column("amount", "amount", "amount"),
                *(Column(t, t, "amount") for t in targets),
            ],
            amount_rows,
        )
    )
    if present:
        report.charts.append(
            Chart(
                "roll_heatmap",
                "Roll rates: month end to next month end",
                "heatmap",
                {
                    "rows": present,
                    "cols": targets,
                    "values": heat,
                    "labels": labels,
                    "xlabel": "next month end",
                    "ylabel": "month end",
                },
                note="cell: share of the row's accounts (count written in the cell)",
            )
        )
    flow = _flow_to_charge_off(counts)
    self_cures: dict = defaultdict(int)
    for _m, f, _t, _n, _amount, s in moves:
        self_cures[f] += s
    cure_rows = []
    for bucket in DELINQUENT:
        total = sum(counts.get((bucket, t), 0) for t in STATES)
        cure_rows.append(
            [
                bucket,
                total,
                ratio(counts.get((bucket, "current"), 0), total),
                ratio(self_cures[bucket], total),
                ratio(sum(counts.get((bucket, t), 0) for t in BUCKETS[BUCKETS.index(bucket) + 1 :]), total),
                ratio(counts.get((bucket, "M7+/CO"), 0), total),
                flow[bucket],
            ]
        )
    report.tables.append(
        Table(
            "cures",
            "cure, self-cure, roll forward and flow to charge-off by bucket",
            [
                Column("bucket", "bucket"),
                Column("accounts", "accounts", "int"),
                Column("cure_rate", "cure rate", "rate"),
                Column("self_cure_rate", "self-cure rate", "rate"),
                Column("roll_forward", "roll forward", "rate"),
                Column("to_charge_off", "to charge-off next month", "rate"),
                Column("flow_to_charge_off", "flow to charge-off", "rate"),
            ],
            cure_rows,
            note="cure: current at the next month end; self-cure: cured with no conversation, promise, plan or offer in the "
            "episode; flow to charge-off: the product of the roll-forward rates from the bucket on to M7+/CO",
        )
    )
    per_month: dict = defaultdict(lambda: defaultdict(int))
    for m, f, t, n, _amount, _s in moves:
        per_month[(m, f)][t] += n
    x = [f"{months[i + 1]:%Y-%m}" for i in range(len(months) - 1)]
    cure_series = {}
    for bucket in DELINQUENT:
        ys = []
        for i in range(len(months) - 1):
            row = per_month.get((i, bucket), {})
            total = sum(row.values())
            ys.append(float(row.get("current", 0)) / total if total else None)
        if any(y is not None for y in ys):
            cure_series[bucket] = ys
    if cure_series:
        report.charts.append(
            Chart(
                "cure_curves",
                "Cure rate by bucket, month by month",
                "lines",
                {
                    "x": x,
                    "series": cure_series,
                    "percent": True,
                    "xlabel": "month end",
                    "ylabel": "cured by this month end",
                },
            )
        )
