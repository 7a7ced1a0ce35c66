"""The scorecards' figures, added up in the database (SQLAlchemy Core; SQLite and PostgreSQL).

Nothing here loads rows into Python to count them: every function sends a
few grouped queries and gets back one row per collector, team or agency.
Money is summed exactly (``sqlfn.money_units``) and only in the report's
currency; counts of work cover every account. Times are the record's
collection times (UTC); a period is [start, end).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import FromClause, Select, SQLColumnExpression, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, Subquery

from arrears.db.models import (
    AgencyCommission,
    AgencyPlacement,
    Collector,
    CollectorTask,
    Complaint,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    Payment,
    PromiseToPay,
    QualityReview,
)
from arrears.domain.policy import CONVERSATION_OUTCOMES, is_working_day
from arrears.insight.attribution import UNDELIVERED_PREFIXES, AttributionRule, Source
from arrears.insight.measures import AgencyFigures, CollectorFigures
from arrears.insight.sqlfn import days_between, from_units, greatest0, money_units, nearest_rank, within_days

# Someone answered: a conversation with the cardholder, or a third party, or a stranger.
CONNECT_OUTCOMES = CONVERSATION_OUTCOMES | {"third_party", "wrong_number"}
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


def _in(column: SQLColumnExpression[Any], period: Period) -> ColumnElement:
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
        candidates = candidates.where(_in(p.paid_at, period))
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


# ---- collectors and teams -----------------------------------------------------------------------


def first_tasks() -> Subquery:
    """Each (collector, episode) with the due time of the collector's first call or visit task on it."""
    t = CollectorTask
    return (
        select(t.assigned_to.label("collector_id"), t.episode_id, func.min(t.due_at).label("first_at"))
        .where(t.kind.in_(WORKED_KINDS), t.assigned_to.is_not(None))
        .group_by(t.assigned_to, t.episode_id)
        .subquery("first_tasks")
    )


def _paid_before(episode_id: SQLColumnExpression[Any], moment: SQLColumnExpression[Any]) -> ColumnElement:
    p = aliased(Payment)
    return (
        select(func.coalesce(func.sum(money_units(p.amount)), 0))
        .where(p.episode_id == episode_id, p.paid_at < moment)
        .scalar_subquery()
    )


def collector_figures(
    session: Session,
    rule: AttributionRule,
    period: Period,
    currency: str,
    country: str | None = None,
    team: str | None = None,
) -> dict[str, CollectorFigures]:
    """One CollectorFigures per collector who worked, was credited or was named in the period."""
    roster = {
        cid: (t, role)
        for cid, t, role in session.execute(select(Collector.collector_id, Collector.team, Collector.role))
    }
    figures: dict[str, CollectorFigures] = {}
    working_days = period.working_days(country)

    def fig(collector_id: str) -> CollectorFigures:
        if collector_id not in figures:
            figures[collector_id] = CollectorFigures(
                subject=collector_id, team=roster.get(collector_id, ("", ""))[0], working_days=working_days
            )
        return figures[collector_id]

    # Work done: outcomes recorded in the period.
    o, t = ContactOutcomeRecord, CollectorTask
    is_call, is_visit = t.kind == "call", t.kind == "visit"
    met = o.visit["met_cardholder"].as_boolean().is_(True)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    for row in session.execute(
        select(
            o.collector_id,
            one(is_call),
            one(and_(is_call, o.outcome.in_(CONNECT_OUTCOMES))),
            one(and_(is_call, o.outcome.in_(CONVERSATION_OUTCOMES))),
            func.sum(case((is_call, o.duration_seconds), else_=0)),
            one(is_visit),
            one(and_(is_visit, met)),
            one(o.outcome == "dispute_raised"),
        )
        .join(t, t.id == o.task_id)
        .where(_in(o.recorded_at, period))
        .group_by(o.collector_id)
    ):
        f = fig(row[0])
        f.calls, f.connects, f.call_conversations, f.talk_seconds, f.visits, f.visits_met, f.disputes = (
            int(x or 0) for x in row[1:]
        )

    # Promises: taken in the period; judged (kept or broken) in the period, amounts in the currency.
    pr = PromiseToPay
    in_cur = pr.currency == currency
    for cid, taken in session.execute(
        select(pr.collector_id, func.count()).where(_in(pr.made_at, period)).group_by(pr.collector_id)
    ):
        fig(cid).promises = taken
    kept, broken = pr.status == "kept", pr.status == "broken"
    for cid, nk, nb, ku, ju in session.execute(
        select(
            pr.collector_id,
            one(kept),
            one(broken),
            func.sum(case((and_(kept, in_cur), money_units(pr.amount)), else_=0)),
            func.sum(case((and_(or_(kept, broken), in_cur), money_units(pr.amount)), else_=0)),
        )
        .where(_in(pr.resolved_at, period), pr.status.in_(("kept", "broken")))
        .group_by(pr.collector_id)
    ):
        f = fig(cid)
        f.promises_kept, f.promises_broken, f.kept_amount, f.judged_amount = (
            int(nk),
            int(nb),
            from_units(ku),
            from_units(ju),
        )

    # Money attributed to each collector.
    a = attributed_payments(rule, period, currency)
    for cid, n, units in session.execute(
        select(a.c.collector_id, func.count(), func.sum(a.c.amount_units))
        .where(a.c.collector_id.is_not(None))
        .group_by(a.c.collector_id)
    ):
        f = fig(cid)
        f.payments, f.recovered = n, from_units(units)

    # Overdue at assignment: episodes first given to the collector in the period, less what was paid before.
    ft = first_tasks()
    e = Episode
    owed = greatest0(money_units(e.opening_overdue) - _paid_before(ft.c.episode_id, ft.c.first_at))
    for cid, units in session.execute(
        select(ft.c.collector_id, func.sum(owed))
        .join(e, e.episode_id == ft.c.episode_id)
        .where(_in(ft.c.first_at, period), e.currency == currency)
        .group_by(ft.c.collector_id)
    ):
        fig(cid).overdue_assigned = from_units(units)

    # Recovery cycle: days from the collector's first task on the episode to each attributed payment.
    cycle_rows = select(a.c.collector_id, days_between(ft.c.first_at, a.c.paid_at).label("days")).join(
        ft, and_(ft.c.collector_id == a.c.collector_id, ft.c.episode_id == a.c.episode_id)
    )
    for cid, ps in percentiles(session, cycle_rows, "collector_id", "days", (50, 90)).items():
        f = fig(cid)
        f.cycle_median, f.cycle_p90 = ps.get(50), ps.get(90)

    _complaints(session, period, Complaint.collector_id, fig)
    _reviews(session, period, QualityReview.collector_id, fig)
    if team is not None:
        return {k: v for k, v in figures.items() if v.team == team}
    return figures


def _complaints(session: Session, period: Period, subject: SQLColumnExpression[Any], fig) -> None:
    c = Complaint
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    for sid, n in session.execute(
        select(subject, func.count()).where(subject.is_not(None), _in(c.received_at, period)).group_by(subject)
    ):
        fig(sid).complaints = n
    resolved_here = _in(c.resolved_at, period)
    overdue_here = and_(c.status == "open", _in(c.deadline_at, period))
    for sid, judged, in_time in session.execute(
        select(subject, one(or_(resolved_here, overdue_here)), one(and_(resolved_here, c.handled_in_time.is_(True))))
        .where(subject.is_not(None), or_(resolved_here, overdue_here))
        .group_by(subject)
    ):
        f = fig(sid)
        f.complaints_judged, f.complaints_in_time = int(judged), int(in_time)


def _reviews(session: Session, period: Period, subject: SQLColumnExpression[Any], fig) -> None:
    r = QualityReview
    for sid, n, units in session.execute(
        select(subject, func.count(), func.sum(money_units(r.score)))
        .where(subject.is_not(None), _in(r.worked_at, period))
        .group_by(subject)
    ):
        f = fig(sid)
        f.reviews = n
        f.quality_score = (from_units(units) / n).quantize(Decimal("0.01")) if n else None


def team_figures(
    session: Session, rule: AttributionRule, period: Period, currency: str, members: dict[str, CollectorFigures]
) -> dict[str, CollectorFigures]:
    """Teams: their collectors' figures added up; percentiles and quality computed over the team's own rows."""
    teams: dict[str, CollectorFigures] = {}
    for f in members.values():
        if not f.team:
            continue
        t = teams.setdefault(f.team, CollectorFigures(subject=f.team, team=f.team, working_days=f.working_days))
        for name in (
            "calls",
            "connects",
            "call_conversations",
            "talk_seconds",
            "visits",
            "visits_met",
            "disputes",
            "promises",
            "promises_kept",
            "promises_broken",
            "kept_amount",
            "judged_amount",
            "recovered",
            "payments",
            "overdue_assigned",
            "complaints",
            "complaints_judged",
            "complaints_in_time",
        ):
            setattr(t, name, getattr(t, name) + getattr(f, name))
        if f.findings is not None:
            t.findings = (t.findings or 0) + f.findings
        t.extra.setdefault("members", 0)
        t.extra["members"] += 1
    a, ft = attributed_payments(rule, period, currency), first_tasks()
    cycle_rows = (
        select(Collector.team, days_between(ft.c.first_at, a.c.paid_at).label("days"))
        .select_from(a)
        .join(ft, and_(ft.c.collector_id == a.c.collector_id, ft.c.episode_id == a.c.episode_id))
        .join(Collector, Collector.collector_id == a.c.collector_id)
    )
    for team, ps in percentiles(session, cycle_rows, "team", "days", (50, 90)).items():
        if team in teams:
            teams[team].cycle_median, teams[team].cycle_p90 = ps.get(50), ps.get(90)
    r = QualityReview
    for team, n, units in session.execute(
        select(Collector.team, func.count(), func.sum(money_units(r.score)))
        .join(Collector, Collector.collector_id == r.collector_id)
        .where(_in(r.worked_at, period))
        .group_by(Collector.team)
    ):
        if team in teams:
            teams[team].reviews = n
            teams[team].quality_score = (from_units(units) / n).quantize(Decimal("0.01"))
    return teams


# ---- agencies -----------------------------------------------------------------------------------


def agency_figures(session: Session, rule: AttributionRule, period: Period, currency: str) -> dict[str, AgencyFigures]:
    from arrears.db.models import Agency

    figures: dict[str, AgencyFigures] = {}
    names = dict(session.execute(select(Agency.agency_id, Agency.name)).all())

    def fig(agency_id: str) -> AgencyFigures:
        if agency_id not in figures:
            figures[agency_id] = AgencyFigures(subject=agency_id, name=names.get(agency_id, ""))
        return figures[agency_id]

    pl = AgencyPlacement
    owed = greatest0(money_units(Episode.opening_overdue) - _paid_before(pl.episode_id, pl.placed_at))
    for aid, n, units in session.execute(
        select(pl.agency_id, func.count(), func.sum(case((Episode.currency == currency, owed), else_=0)))
        .join(Episode, Episode.episode_id == pl.episode_id)
        .where(_in(pl.placed_at, period))
        .group_by(pl.agency_id)
    ):
        f = fig(aid)
        f.placements, f.overdue_placed = n, from_units(units)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    for aid, ended, recalled in session.execute(
        select(pl.agency_id, func.count(), one(pl.status == "recalled"))
        .where(_in(pl.ended_at, period))
        .group_by(pl.agency_id)
    ):
        f = fig(aid)
        f.ended, f.recalled = ended, int(recalled)
    a = attributed_payments(rule, period, currency)
    for aid, n, units in session.execute(
        select(a.c.agency_id, func.count(), func.sum(a.c.amount_units))
        .where(a.c.agency_id.is_not(None))
        .group_by(a.c.agency_id)
    ):
        f = fig(aid)
        f.payments, f.recovered = n, from_units(units)
    cm = AgencyCommission
    for aid, units in session.execute(
        select(cm.agency_id, func.sum(money_units(cm.commission)))
        .join(Payment, and_(Payment.account_id == cm.account_id, Payment.payment_id == cm.payment_id))
        .where(_in(Payment.paid_at, period), cm.currency == currency)
        .group_by(cm.agency_id)
    ):
        fig(aid).commission = from_units(units)
    cycle_rows = select(a.c.agency_id, days_between(pl.placed_at, a.c.paid_at).label("days")).join(
        pl,
        and_(
            pl.account_id == a.c.account_id,
            pl.agency_id == a.c.agency_id,
            pl.placed_at <= a.c.paid_at,
            or_(pl.ended_at.is_(None), pl.ended_at >= a.c.paid_at),
        ),
    )
    for aid, ps in percentiles(session, cycle_rows, "agency_id", "days", (50, 90)).items():
        f = fig(aid)
        f.cycle_median, f.cycle_p90 = ps.get(50), ps.get(90)
    _complaints(session, period, Complaint.agency_id, fig)
    _reviews(session, period, QualityReview.agency_id, fig)
    return figures


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
