"""The scorecards' figures per collector, team and agency, added up in the database.

A few grouped queries per subject, one row back per collector, team or agency (see
``arrears.insight.queries`` for periods, the attribution rule in SQL and percentiles).
Money is summed exactly (``sqlfn.money_units``) and only in the report's currency; counts
of work cover every account. Times are the record's collection times (UTC); a period is
[start, end).
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import SQLColumnExpression, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, Subquery

from arrears.db.models import (
    AgencyCommission,
    AgencyPlacement,
    Collector,
    CollectorTask,
    Complaint,
    ContactOutcomeRecord,
    Episode,
    Payment,
    PromiseToPay,
    QualityReview,
)
from arrears.domain.policy import CONVERSATION_OUTCOMES
from arrears.insight.attribution import AttributionRule
from arrears.insight.measures import AgencyFigures, CollectorFigures
from arrears.insight.queries import WORKED_KINDS, Period, attributed_payments, in_period, percentiles
from arrears.insight.sqlfn import days_between, from_units, greatest0, money_units

# Someone answered: a conversation with the cardholder, or a third party, or a stranger.
CONNECT_OUTCOMES = CONVERSATION_OUTCOMES | {"third_party", "wrong_number"}


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
        .where(in_period(o.recorded_at, period))
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
        select(pr.collector_id, func.count()).where(in_period(pr.made_at, period)).group_by(pr.collector_id)
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
        .where(in_period(pr.resolved_at, period), pr.status.in_(("kept", "broken")))
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
        .where(in_period(ft.c.first_at, period), e.currency == currency)
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
        select(subject, func.count()).where(subject.is_not(None), in_period(c.received_at, period)).group_by(subject)
    ):
        fig(sid).complaints = n
    resolved_here = in_period(c.resolved_at, period)
    overdue_here = and_(c.status == "open", in_period(c.deadline_at, period))
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
        .where(subject.is_not(None), in_period(r.worked_at, period))
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
        .where(in_period(r.worked_at, period))
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
        .where(in_period(pl.placed_at, period))
        .group_by(pl.agency_id)
    ):
        f = fig(aid)
        f.placements, f.overdue_placed = n, from_units(units)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    for aid, ended, recalled in session.execute(
        select(pl.agency_id, func.count(), one(pl.status == "recalled"))
        .where(in_period(pl.ended_at, period))
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
        .where(in_period(Payment.paid_at, period), cm.currency == currency)
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
