"""`arrears report portfolio`: month-end roll rates, cures, flow to charge-off, net loss, recovery
curves after charge-off, and what each strategy step and channel is followed by.

Every figure is an aggregate the database computes. The states at month ends, roll rates and
cures are in ``arrears.insight.roll_rates``; this module adds losses, recoveries and step
effectiveness, and puts the report together.

Only episodes in the report's currency are counted, so every amount adds up.
"""

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from arrears.db.models import (
    CollectorTask,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    Payment,
    Recovery,
)
from arrears.domain.months import add_months
from arrears.domain.policy import CONVERSATION_OUTCOMES
from arrears.insight.attribution import UNDELIVERED_PREFIXES
from arrears.insight.measures import ratio
from arrears.insight.report import Chart, Column, Report, Table
from arrears.insight.roll_rates import roll_matrix, roll_tables, transitions
from arrears.insight.sqlfn import epoch_seconds, from_units, money_units, month_index


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
    roll_tables(report, counts, amounts, moves, months)
    today = as_of or datetime.now(ZoneInfo("UTC")).date()
    _loss_tables(report, session, first, end, chosen, horizon, today.year * 12 + today.month - 1)
    start = datetime.combine(first, time(0), ZoneInfo("UTC"))
    stop = datetime.combine(end, time(0), ZoneInfo("UTC"))
    _step_table(report, step_effectiveness(session, start, stop, chosen, paid_within_days), paid_within_days)
    return report


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
