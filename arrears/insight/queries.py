"""SQL building blocks of the scorecards, run in the database (SQLAlchemy Core; SQLite and PostgreSQL).

Periods, the attribution rule as one query (every payment with its source), what it credits
by source and by strategy step, and nearest-rank percentiles; ``arrears.insight.scorecard_figures``
adds the collectors', teams' and agencies' figures up from them. Nothing here loads rows into
Python to count them. Money is summed exactly (``sqlfn.money_units``) and only in the report's
currency. Times are the record's collection times (UTC); a period is [start, end).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import FromClause, Select, SQLColumnExpression, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, Subquery

from arrears.db.models import (
    AgencyPlacement,
    CollectorTask,
    ContactAttempt,
    ContactOutcomeRecord,
    Payment,
)
from arrears.domain.policy import CONVERSATION_OUTCOMES, is_working_day
from arrears.insight.attribution import UNDELIVERED_PREFIXES, AttributionRule, Source
from arrears.insight.sqlfn import from_units, money_units, nearest_rank, within_days

WORKED_KINDS = ("call", "visit")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str
    first_day: date
    last_day: date

    def working_days(self, country: str | None) -> int:
        day, count = self.first_day, 0
        while day <= self.last_day:
            count += is_working_day(day, country) if country else day.weekday() < 5
            day += timedelta(days=1)
        return count


def month_period(month: str, zone: str) -> Period:
    """YYYY-MM as [first 00:00, next first 00:00) in the zone; refused with the field named when malformed."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month: give it as YYYY-MM, got {month!r}") from None
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    tz = ZoneInfo(zone)
    return Period(
        datetime.combine(first, time(0), tz),
        datetime.combine(following, time(0), tz),
        month,
        first,
        following - timedelta(days=1),
    )


def days_period(first: date, last: date, zone: str) -> Period:
    tz = ZoneInfo(zone)
    return Period(
        datetime.combine(first, time(0), tz),
        datetime.combine(last + timedelta(days=1), time(0), tz),
        f"{first} to {last}",
        first,
        last,
    )


def in_period(column: SQLColumnExpression[Any], period: Period) -> ColumnElement:
    return and_(column >= period.start, column < period.end)


def _is_rpc(task_kind: SQLColumnExpression[Any], outcome: type[ContactOutcomeRecord]) -> ColumnElement:
    """A conversation on a call, or a visit that met the cardholder (JSON report)."""
    met = outcome.visit["met_cardholder"].as_boolean()
    return or_(
        and_(task_kind == "call", outcome.outcome.in_(CONVERSATION_OUTCOMES)), and_(task_kind == "visit", met.is_(True))
    )


def _delivered(result: SQLColumnExpression[Any]) -> ColumnElement:
    return and_(*(~result.startswith(prefix) for prefix in UNDELIVERED_PREFIXES))


# ---- attribution ------------------------------------------------------------------------------


def attributed_payments(rule: AttributionRule, period: Period | None = None, currency: str | None = None) -> Subquery:
    """Every payment (in the period, in the currency) with the rule's answer: one row per payment.

    Columns: payment_pk, account_id, episode_id, paid_at, currency, amount_units, source,
    collector_id, agency_id, step_id, channel. The same rule as arrears.insight.attribution.attribute.
    """
    p = Payment
    placement = (
        select(AgencyPlacement.agency_id)
        .where(
            AgencyPlacement.account_id == p.account_id,
            AgencyPlacement.placed_at <= p.paid_at,
            or_(AgencyPlacement.ended_at.is_(None), AgencyPlacement.ended_at >= p.paid_at),
        )
        .order_by(AgencyPlacement.placed_at.desc(), AgencyPlacement.id.desc())
        .limit(1)
        .correlate(p)
        .scalar_subquery()
    )
    t, o = aliased(CollectorTask), aliased(ContactOutcomeRecord)
    open_task = (
        select(t.id)
        .outerjoin(o, o.task_id == t.id)
        .where(
            t.episode_id == p.episode_id,
            t.kind.in_(WORKED_KINDS),
            t.assigned_to.is_not(None),
            within_days(t.due_at, p.paid_at, rule.open_task_days),
            or_(o.recorded_at.is_(None), o.recorded_at > p.paid_at),
        )
        .order_by(t.due_at.desc(), t.id.desc())
        .limit(1)
        .correlate(p)
        .scalar_subquery()
    )
    t2, o2 = aliased(CollectorTask), aliased(ContactOutcomeRecord)
    rpc_task = (
        select(t2.id)
        .join(o2, o2.task_id == t2.id)
        .where(
            t2.episode_id == p.episode_id, _is_rpc(t2.kind, o2), within_days(o2.recorded_at, p.paid_at, rule.rpc_days)
        )
        .order_by(o2.recorded_at.desc(), t2.id.desc())
        .limit(1)
        .correlate(p)
        .scalar_subquery()
    )
    c = aliased(ContactAttempt)
    contact = (
        select(c.id)
        .where(
            c.episode_id == p.episode_id,
            _delivered(c.result),
            within_days(c.attempted_at, p.paid_at, rule.contact_days),
        )
        .order_by(c.attempted_at.desc(), c.id.desc())
        .limit(1)
        .correlate(p)
        .scalar_subquery()
    )
    wanted = {
        Source.AGENCY: placement,
        Source.OPEN_TASK: open_task,
        Source.LAST_RPC: rpc_task,
        Source.LAST_CONTACT: contact,
    }
    candidates = select(
        p.id.label("payment_pk"),
        p.account_id,
        p.episode_id,
        p.paid_at,
        p.currency,
        money_units(p.amount).label("amount_units"),
        *(wanted[s].label(f"cand_{s.value}") for s in rule.order),
    )
    if period is not None:
        candidates = candidates.where(in_period(p.paid_at, period))
    if currency is not None:
        candidates = candidates.where(p.currency == currency)
    cand = candidates.subquery("candidates")

    ot, rt = aliased(CollectorTask), aliased(CollectorTask)
    ro, ca = aliased(ContactOutcomeRecord), aliased(ContactAttempt)
    col = {s: cand.c[f"cand_{s.value}"] for s in rule.order}
    joined: FromClause = cand
    if Source.OPEN_TASK in col:
        joined = joined.outerjoin(ot, ot.id == col[Source.OPEN_TASK])
    if Source.LAST_RPC in col:
        joined = joined.outerjoin(rt, rt.id == col[Source.LAST_RPC]).outerjoin(ro, ro.task_id == col[Source.LAST_RPC])
    if Source.LAST_CONTACT in col:
        joined = joined.outerjoin(ca, ca.id == col[Source.LAST_CONTACT])

    def first(values: dict[Source, SQLColumnExpression[Any] | None]) -> ColumnElement:
        whens = [(col[s].is_not(None), values[s] if values[s] is not None else literal(None)) for s in rule.order]
        return case(*whens, else_=literal(None))

    source = case(*((col[s].is_not(None), literal(s.value)) for s in rule.order), else_=literal("none"))
    collector = first(
        {
            Source.AGENCY: None,
            Source.OPEN_TASK: ot.assigned_to,
            Source.LAST_RPC: ro.collector_id,
            Source.LAST_CONTACT: None,
        }
    )
    agency = first(
        {
            Source.AGENCY: col.get(Source.AGENCY),
            Source.OPEN_TASK: None,
            Source.LAST_RPC: None,
            Source.LAST_CONTACT: None,
        }
    )
    step = first(
        {
            Source.AGENCY: None,
            Source.OPEN_TASK: ot.step_id,
            Source.LAST_RPC: rt.step_id,
            Source.LAST_CONTACT: ca.step_id,
        }
    )
    channel = first(
        {
            Source.AGENCY: literal("agency"),
            Source.OPEN_TASK: ot.kind,
            Source.LAST_RPC: rt.kind,
            Source.LAST_CONTACT: ca.channel,
        }
    )
    return (
        select(
            cand.c.payment_pk,
            cand.c.account_id,
            cand.c.episode_id,
            cand.c.paid_at,
            cand.c.currency,
            cand.c.amount_units,
            source.label("source"),
            collector.label("collector_id"),
            agency.label("agency_id"),
            step.label("step_id"),
            channel.label("channel"),
        )
        .select_from(joined)
        .subquery("attributed")
    )


def attribution_breakdown(session: Session, rule: AttributionRule, period: Period, currency: str) -> list[tuple]:
    """(source, channel, payments, amount) of the period: how much of the money each kind of source got."""
    a = attributed_payments(rule, period, currency)
    rows = session.execute(
        select(a.c.source, a.c.channel, func.count(), func.sum(a.c.amount_units))
        .group_by(a.c.source, a.c.channel)
        .order_by(a.c.source, a.c.channel)
    ).all()
    return [(s, ch, n, from_units(u)) for s, ch, n, u in rows]


def step_of_payments(session: Session, rule: AttributionRule, period: Period, currency: str) -> list[tuple]:
    """(step_id, channel, payments, amount) credited to automatic steps by the rule."""
    a = attributed_payments(rule, period, currency)
    rows = session.execute(
        select(a.c.step_id, a.c.channel, func.count(), func.sum(a.c.amount_units))
        .where(a.c.source == Source.LAST_CONTACT.value)
        .group_by(a.c.step_id, a.c.channel)
        .order_by(func.sum(a.c.amount_units).desc())
    ).all()
    return [(s, ch, n, from_units(u)) for s, ch, n, u in rows]


# ---- percentiles in SQL -------------------------------------------------------------------------


def percentiles(
    session: Session, rows: Select, group: str, value: str, percents: Iterable[int]
) -> dict[str, dict[int, float]]:
    """The nearest-rank percentiles of ``value`` per ``group`` over a select that has both columns."""
    sub = rows.subquery("pct_rows")
    ranked = select(
        sub.c[group].label("g"),
        sub.c[value].label("v"),
        func.row_number().over(partition_by=sub.c[group], order_by=sub.c[value]).label("rn"),
        func.count().over(partition_by=sub.c[group]).label("n"),
    ).subquery("ranked")
    out: dict[str, dict[int, float]] = {}
    for percent in percents:
        for g, v in session.execute(
            select(ranked.c.g, ranked.c.v).where(ranked.c.rn == nearest_rank(percent, ranked.c.n))
        ):
            out.setdefault(g, {})[percent] = float(v)
    return out
