"""`arrears report portfolio`: month-end roll rates, cures, flow to charge-off, net loss, recovery
curves after charge-off, and what each strategy step and channel is followed by.

Every figure is an aggregate the database computes. An account's state at a month end is that
of its latest episode started by the end of the month's last day in the account's own zone:

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

from sqlalchemy import Date, Integer, String, and_, case, exists, func, literal, or_, select, union, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arrears.db.models import (
    Account,
    CollectorTask,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    Payment,
    Plan,
    PromiseToPay,
    Recovery,
    Settlement,
)
from arrears.db.types import UtcDateTime
from arrears.domain.months import add_months
from arrears.domain.policy import CONVERSATION_OUTCOMES
from arrears.insight.attribution import UNDELIVERED_PREFIXES
from arrears.insight.measures import ratio
from arrears.insight.report import Chart, Column, Report, Table
from arrears.insight.sqlfn import date_diff, epoch_seconds, from_units, greatest0, money_units, month_index

BUCKETS = ["current", "M1", "M2", "M3", "M4", "M5", "M6", "M7+/CO"]
STATES = [*BUCKETS, "closed"]
DELINQUENT = BUCKETS[1:-1]  # M1..M6: where cures and roll-forwards are measured


def parse_month(value: str, name: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"{name}: give a month as YYYY-MM, got {value!r}") from None


def months_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to ({last:%Y-%m}) is before --from ({first:%Y-%m})")
    out, day = [], first
    while day <= last:
        out.append(day)
        day = add_months(day, 1)
    return out


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


def loss_by_month(session: Session, first: date, end: date, currency: str) -> tuple[dict, dict]:
    """Gross charge-offs (written-off balances) and recoveries per UTC month index in [first, end)."""
    e, r = Episode, Recovery
    start = datetime.combine(first, time(0), ZoneInfo("UTC"))
    stop = datetime.combine(end, time(0), ZoneInfo("UTC"))
    gross = dict(
        session.execute(
            select(month_index(e.closed_at), func.sum(money_units(func.coalesce(e.closing_balance, e.opening_balance))))
            .where(e.outcome == "charged_off", e.currency == currency, e.closed_at >= start, e.closed_at < stop)
            .group_by(month_index(e.closed_at))
        ).all()
    )
    recovered = dict(
        session.execute(
            select(month_index(r.paid_at), func.sum(money_units(r.amount)))
            .where(r.currency == currency, r.paid_at >= start, r.paid_at < stop)
            .group_by(month_index(r.paid_at))
        ).all()
    )
    return {k: from_units(v) for k, v in gross.items()}, {k: from_units(v) for k, v in recovered.items()}


def recovery_curves(session: Session, first: date, end: date, currency: str, horizon: int) -> dict[int, tuple]:
    """Per charge-off cohort (UTC month index): written off, accounts, and recovered in each month since."""
    e, r = Episode, Recovery
    start = datetime.combine(first, time(0), ZoneInfo("UTC"))
    stop = datetime.combine(end, time(0), ZoneInfo("UTC"))
    in_range = and_(e.outcome == "charged_off", e.currency == currency, e.closed_at >= start, e.closed_at < stop)
    cohorts: dict[int, tuple[Decimal, int, dict]] = {
        c: (from_units(w), n, {})
        for c, w, n in session.execute(
            select(
                month_index(e.closed_at),
                func.sum(money_units(func.coalesce(e.closing_balance, e.opening_balance))),
                func.count(),
            )
            .where(in_range)
            .group_by(month_index(e.closed_at))
        )
    }
    since = month_index(r.paid_at) - month_index(e.closed_at)
    for cohort, k, units in session.execute(
        select(month_index(e.closed_at), since, func.sum(money_units(r.amount)))
        .join(e, e.episode_id == r.episode_id)
        .where(in_range, since <= horizon)
        .group_by(month_index(e.closed_at), since)
    ):
        if cohort in cohorts:
            cohorts[cohort][2][int(k)] = from_units(units)
    return cohorts


def step_effectiveness(session: Session, start: datetime, stop: datetime, currency: str, days: int) -> list[tuple]:
    """(step, channel, reached, attempts, paid within `days`) for contacts and collector work in [start, stop)."""
    window = days * 86_400
    c, p, e = ContactAttempt, Payment, Episode
    paid_after = exists().where(
        p.episode_id == c.episode_id,
        p.paid_at >= c.attempted_at,
        epoch_seconds(p.paid_at) - epoch_seconds(c.attempted_at) <= window,
    )
    reached = and_(*(~c.result.startswith(x) for x in UNDELIVERED_PREFIXES))
    # Grouped outside: PostgreSQL does not match a CASE in GROUP BY with the one selected (each has its own binds).
    flagged = (
        select(
            c.step_id,
            c.channel,
            case((reached, 1), else_=0).label("reached"),
            case((paid_after, 1), else_=0).label("paid"),
        )
        .join(e, e.episode_id == c.episode_id)
        .where(c.attempted_at >= start, c.attempted_at < stop, e.currency == currency)
    ).subquery("flagged_contacts")
    contacts = session.execute(
        select(
            flagged.c.step_id, flagged.c.channel, flagged.c.reached, func.count(), func.sum(flagged.c.paid)
        ).group_by(flagged.c.step_id, flagged.c.channel, flagged.c.reached)
    ).all()
    t, o = CollectorTask, ContactOutcomeRecord
    paid_after_task = exists().where(
        p.episode_id == t.episode_id,
        p.paid_at >= t.due_at,
        epoch_seconds(p.paid_at) - epoch_seconds(t.due_at) <= window,
    )
    met = o.visit["met_cardholder"].as_boolean().is_(True)
    rpc = or_(and_(t.kind == "call", o.outcome.in_(CONVERSATION_OUTCOMES)), and_(t.kind == "visit", met))
    worked = (
        select(
            t.step_id,
            t.kind,
            case((rpc, 1), else_=0).label("reached"),
            case((paid_after_task, 1), else_=0).label("paid"),
        )
        .select_from(t)
        .outerjoin(o, o.task_id == t.id)
        .join(e, e.episode_id == t.episode_id)
        .where(t.kind.in_(("call", "visit")), t.due_at >= start, t.due_at < stop, e.currency == currency)
    ).subquery("flagged_tasks")
    tasks = session.execute(
        select(worked.c.step_id, worked.c.kind, worked.c.reached, func.count(), func.sum(worked.c.paid)).group_by(
            worked.c.step_id, worked.c.kind, worked.c.reached
        )
    ).all()
    return [(s, ch, bool(r), n, int(k or 0)) for s, ch, r, n, k in [*contacts, *tasks]]


def majority_currency(session: Session) -> str | None:
    return session.scalar(select(Episode.currency).group_by(Episode.currency).order_by(func.count().desc()).limit(1))


def portfolio_report(
    session: Session,
    first_month: str,
    last_month: str,
    currency: str | None = None,
    paid_within_days: int = 7,
    horizon: int = 12,
    as_of: date | None = None,
) -> Report:
    first, last = parse_month(first_month, "--from"), parse_month(last_month, "--to")
    months = months_between(first, last)
    end = add_months(last, 1)
    chosen = currency or majority_currency(session) or "CNY"
    report = Report(
        kind="portfolio",
        title=f"Portfolio {first:%Y-%m} to {last:%Y-%m}",
        subtitle=[
            f"episodes in {chosen}"
            + ("" if currency else " (the record's most common currency; --currency to choose)"),
            "states at each month end in the account's own zone; buckets by DPD from the episode's due date",
            f"step effectiveness: share paid within {paid_within_days} days after the step, reached against not reached",
        ],
        meta={"from": first_month, "to": last_month, "currency": chosen, "paid_within_days": paid_within_days},
    )
    moves = transitions(session, months, chosen)
    counts, amounts = roll_matrix(moves)
    if len(months) < 2:
        report.notes.append("one month end has no month-to-month movement: give --from and --to at least a month apart")
    elif not moves:
        report.notes.append("no episode in this currency was open at two consecutive month ends of the range")
    _roll_tables(report, counts, amounts, moves, months)
    today = as_of or datetime.now(ZoneInfo("UTC")).date()
    _loss_tables(report, session, first, end, chosen, horizon, today.year * 12 + today.month - 1)
    start = datetime.combine(first, time(0), ZoneInfo("UTC"))
    stop = datetime.combine(end, time(0), ZoneInfo("UTC"))
    _step_table(report, step_effectiveness(session, start, stop, chosen, paid_within_days), paid_within_days)
    return report


def _roll_tables(report: Report, counts: dict, amounts: dict, moves: list[tuple], months: list[date]) -> None:
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


def _loss_tables(
    report: Report, session: Session, first: date, end: date, currency: str, horizon: int, now_index: int
) -> None:
    gross, recovered = loss_by_month(session, first, end, currency)
    base = first.year * 12 + first.month - 1
    rows, total = [], [Decimal(0), Decimal(0)]
    for index in range(base, end.year * 12 + end.month - 1):
        g, r = gross.get(index, Decimal(0)), recovered.get(index, Decimal(0))
        total[0] += g
        total[1] += r
        rows.append([f"{index // 12}-{index % 12 + 1:02d}", g, r, g - r])
    rows.append(["total", total[0], total[1], total[0] - total[1]])
    report.tables.append(
        Table(
            "net_loss",
            "net loss: written off less recovered (UTC months)",
            [
                Column("month", "month"),
                Column("written_off", "written off", "amount"),
                Column("recovered", "recovered after charge-off", "amount"),
                Column("net_loss", "net loss", "amount"),
            ],
            rows,
        )
    )
    cohorts = recovery_curves(session, first, end, currency, horizon)
    curve_rows, series = [], {}
    for cohort in sorted(cohorts):
        written, accounts, by_month = cohorts[cohort]
        running, ys = Decimal(0), []
        for k in range(horizon + 1):
            running += by_month.get(k, Decimal(0))
            ys.append(ratio(running, written) if cohort + k <= now_index else None)  # months yet to come: blank
        label = f"{cohort // 12}-{cohort % 12 + 1:02d}"
        curve_rows.append([label, accounts, written, running, *ys])
        series[label] = [float(y) if y is not None else None for y in ys]
    report.tables.append(
        Table(
            "recovery_curves",
            "recovery after charge-off: cumulative share of the written-off amount, by months since",
            [
                Column("cohort", "charged off in"),
                Column("accounts", "accounts", "int"),
                Column("written_off", "written off", "amount"),
                Column("recovered", "recovered so far", "amount"),
                *(Column(f"m{k}", f"+{k} m", "rate") for k in range(horizon + 1)),
            ],
            curve_rows,
        )
    )
    if series:
        report.charts.append(
            Chart(
                "recovery_curves",
                "Recovery after charge-off (cumulative share written off)",
                "lines",
                {
                    "x": list(range(horizon + 1)),
                    "series": series,
                    "percent": True,
                    "xlabel": "months since charge-off",
                    "ylabel": "recovered",
                },
            )
        )
    else:
        report.notes.append("no episode was charged off in the range: no recovery curve")


def _step_table(report: Report, rows: list[tuple], days: int) -> None:
    merged: dict = defaultdict(lambda: [0, 0, 0, 0])
    for step, channel, reached, n, paid in rows:
        cell = merged[(step, channel)]
        if reached:
            cell[0] += n
            cell[1] += paid
        else:
            cell[2] += n
            cell[3] += paid
    out = []
    for (step, channel), (rn, rp, un, up) in sorted(merged.items(), key=lambda kv: -(kv[1][0] + kv[1][2])):
        reached_rate, unreached_rate = ratio(rp, rn), ratio(up, un)
        lift = reached_rate - unreached_rate if reached_rate is not None and unreached_rate is not None else None
        out.append([step, channel, rn, reached_rate, un, unreached_rate, lift])
    report.tables.append(
        Table(
            "steps",
            f"effectiveness per strategy step and channel: paid within {days} days after it",
            [
                Column("step", "step"),
                Column("channel", "channel"),
                Column("reached", "reached", "int"),
                Column("reached_paid", "paid after, reached", "rate"),
                Column("not_reached", "not reached", "int"),
                Column("not_reached_paid", "paid after, not reached", "rate"),
                Column("lift", "difference", "rate"),
            ],
            out,
            note="reached: a message delivered to a channel, or a call or visit that was a conversation with the cardholder; "
            "not reached: suppressed by the gate, no address, a wrong number, no answer; a difference is not proof of "
            "cause (the accounts not reached differ in other ways) - champion/challenger experiments are",
        )
    )
    top = [r for r in out if r[3] is not None][:10]
    if top:
        report.charts.append(
            Chart(
                "steps",
                f"Paid within {days} days after each step",
                "bars",
                {
                    "labels": [f"{r[0]} ({r[1]})" for r in top],
                    "series": {
                        "reached": [float(r[3] or 0) for r in top],
                        "not reached": [float(r[5] or 0) for r in top],
                    },
                    "percent": True,
                },
            )
        )
