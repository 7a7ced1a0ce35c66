"""`arrears report scorecard` and `arrears report agencies`: the figures, the card's points,
the weighted score, the target and its attainment, and the incentive band."""

from collections import Counter
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import Collector, CollectorTask
from arrears.insight.measures import MEASURES, CollectorFigures, Unit, agency_measures, collector_measures, ratio
from arrears.insight.queries import Period, month_period
from arrears.insight.report import Chart, Column, Report, Table
from arrears.insight.scorecard import RoleCard, Scorecard
from arrears.insight.scorecard_figures import agency_figures, collector_figures, team_figures

_KIND = {
    Unit.COUNT: "int",
    Unit.AMOUNT: "amount",
    Unit.RATE: "rate",
    Unit.DAYS: "days",
    Unit.SECONDS: "number",
    Unit.PER_DAY: "number",
    Unit.PER_1000: "number",
    Unit.SCORE: "score",
}


def _column(key: str) -> Column:
    m = MEASURES[key]
    return Column(key, m.label, _KIND[m.unit])


def compliance_findings(session: Session, period: Period, policy) -> Counter:
    """The compliance check's violations in the period's calls and visits, by the task's holder.

    This is the auditor's recomputation (arrears.audit.record_check), which reads the contacts into
    Python; it runs only when asked (--compliance-check)."""
    from arrears.audit.record_check import find_violations

    counts: Counter = Counter()
    for v in find_violations(session, policy):
        if v.channel not in ("call", "visit") or not (period.start <= v.at < period.end):
            continue
        holder = session.scalar(
            select(CollectorTask.assigned_to)
            .where(
                CollectorTask.account_id == v.account_id, CollectorTask.kind == v.channel, CollectorTask.due_at == v.at
            )
            .limit(1)
        )
        if holder:
            counts[holder] += 1
    return counts


def _scored_rows(
    card: RoleCard,
    figures: dict[str, CollectorFigures],
    values: dict[str, dict],
    scorecard: Scorecard,
    kind: str,
    month: str,
    label,
) -> tuple[list[list], list[list], list[tuple]]:
    rows, points_rows, ranked = [], [], []
    for subject, v in values.items():
        score = card.score(v)
        target = scorecard.targets.for_subject(kind, subject, month)
        attainment = ratio(v["amount_recovered"], target) if target else None
        v["target_attainment"] = attainment
        band = scorecard.incentive(attainment, score.value)
        ranked.append((subject, score, target, attainment, band))
    ranked.sort(key=lambda r: (-(r[1].value if r[1].value is not None else Decimal(-1)), r[0]))
    for rank, (subject, score, target, attainment, band) in enumerate(ranked, start=1):
        v = values[subject]
        rows.append(
            [
                rank,
                subject,
                *label(subject),
                *(v.get(m.measure) for m in card.measures),
                *(v.get(k) for k in card.show),
                score.value,
                score.coverage,
                v["amount_recovered"],
                target,
                attainment,
                band.band if band else None,
            ]
        )
        points_rows.append([subject, *(score.points[m.measure] for m in card.measures), score.value])
    return rows, points_rows, ranked


def _columns(card: RoleCard, head: list[Column]) -> list[Column]:
    return [
        Column("rank", "#", "int"),
        *head,
        *(_column(m.measure) for m in card.measures),
        *(_column(k) for k in card.show),
        Column("score", "score", "score"),
        Column("coverage", "weight measured", "rate"),
        Column("recovered", "recovered", "amount"),
        Column("target", "target", "amount"),
        Column("attainment", "attainment", "rate"),
        Column("band", "band"),
    ]


def _bands_table(scorecard: Scorecard, ranked: list[tuple]) -> Table:
    counts = Counter(r[4].band for r in ranked if r[4] is not None)
    return Table(
        "bands",
        "incentive bands (by attainment, with a minimum score)",
        [
            Column("band", "band"),
            Column("min_attainment", "attainment at least", "rate"),
            Column("min_score", "score at least", "score"),
            Column("pays", "what it means"),
            Column("people", "people", "int"),
        ],
        [[b.band, b.min_attainment, b.min_score, b.pays, counts.get(b.band, 0)] for b in scorecard.incentives],
    )


def scorecard_report(
    session: Session, scorecard: Scorecard, month: str, team: str | None = None, findings: Counter | None = None
) -> Report:
    period = month_period(month, scorecard.timezone)
    rule = scorecard.attribution
    figures = collector_figures(session, rule, period, scorecard.currency, scorecard.working_country, team=team)
    roles = dict(session.execute(select(Collector.collector_id, Collector.role)).all())
    for cid, f in figures.items():
        f.findings = findings.get(cid, 0) if findings is not None else None
    report = Report(
        kind="scorecard",
        title=f"Collector scorecard {month}" + (f", team {team}" if team else ""),
        subtitle=[
            f"{period.first_day} to {period.last_day} ({scorecard.timezone}); money in {scorecard.currency} only; "
            f"{period.working_days(scorecard.working_country)} working days ({scorecard.working_country or 'Mon-Fri'})",
            rule.describe() + ".",
            f"scorecard {scorecard.name} ({scorecard.content_hash()[:12]})",
        ],
        meta={
            "month": month,
            "team": team,
            "currency": scorecard.currency,
            "timezone": scorecard.timezone,
            "attribution": rule.model_dump(mode="json"),
            "attribution_text": rule.describe(),
            "scorecard": scorecard.name,
            "scorecard_hash": scorecard.content_hash(),
        },
    )
    if findings is None:
        report.notes.append(
            "compliance findings were not checked (run with --compliance-check): "
            "that measure is left out of the scores and its weight with it"
        )
    unknown = sorted(cid for cid in figures if cid not in roles)
    if unknown:
        report.notes.append(f"not on the roster, shown under collector: {', '.join(unknown)}")
    bars: dict[str, tuple] = {}
    everyone: list[tuple] = []
    for role, card in scorecard.roles.items():
        if role == "agency":
            continue
        mine = {cid: collector_measures(f) for cid, f in figures.items() if roles.get(cid, "collector") == role}
        if not mine:
            continue
        head = [Column("collector", "collector"), Column("team", "team")]
        rows, points_rows, ranked = _scored_rows(
            card, figures, mine, scorecard, "collector", month, lambda cid: [figures[cid].team]
        )
        report.tables.append(
            Table(
                f"{role}s",
                f"{role}s: measures, score, target and band",
                _columns(card, head),
                rows,
                note="ranked by weighted score; a measure without a value is left out of the score",
            )
        )
        report.tables.append(
            Table(
                f"{role}_points",
                f"{role}s: points per measure (0-100, from the card's bands)",
                [
                    Column("collector", "collector"),
                    *(
                        Column(m.measure, f"{MEASURES[m.measure].label} (w {m.weight})", "points")
                        for m in card.measures
                    ),
                    Column("score", "score", "score"),
                ],
                points_rows,
            )
        )
        everyone += ranked
        for subject, score, _target, attainment, _band in ranked:
            bars[subject] = (score.value, attainment)
    # Teams: the collector card on the team's own figures, against the team target.
    team_card = scorecard.roles.get("collector")
    teams = team_figures(session, rule, period, scorecard.currency, figures)
    if team_card and teams:
        values = {t: collector_measures(f) for t, f in teams.items()}
        rows, _points, _ranked = _scored_rows(
            team_card, teams, values, scorecard, "team", month, lambda t: [teams[t].extra.get("members", 0)]
        )
        report.tables.append(
            Table(
                "teams",
                "teams: the collector card on each team's figures",
                _columns(team_card, [Column("team", "team"), Column("members", "members", "int")]),
                rows,
            )
        )
    if scorecard.incentives:
        report.tables.append(_bands_table(scorecard, everyone))
    if bars:
        names = sorted(bars, key=lambda s: -(bars[s][0] or 0))
        report.charts.append(
            Chart(
                "scores",
                "Weighted score per collector (0-100)",
                "bars",
                {"labels": names, "series": {"score": [float(bars[n][0] or 0) for n in names]}, "xlabel": "score"},
            )
        )
        report.charts.append(
            Chart(
                "attainment",
                "Target attainment (recovered / monthly target)",
                "bars",
                {
                    "labels": names,
                    "series": {"attainment": [float(bars[n][1] or 0) for n in names]},
                    "percent": True,
                    "reference": 1.0,
                    "xlabel": "attainment",
                },
                note="dashed line: 100 % of target",
            )
        )
    if not figures:
        report.notes.append("nobody worked, was credited or was named in this month")
    return report


def agencies_report(session: Session, scorecard: Scorecard, month: str) -> Report:
    period = month_period(month, scorecard.timezone)
    rule = scorecard.attribution
    figures = agency_figures(session, rule, period, scorecard.currency)
    report = Report(
        kind="agencies",
        title=f"Agency scorecard {month}",
        subtitle=[
            f"{period.first_day} to {period.last_day} ({scorecard.timezone}); money in {scorecard.currency} only",
            rule.describe() + ".",
            f"scorecard {scorecard.name} ({scorecard.content_hash()[:12]})",
        ],
        meta={
            "month": month,
            "currency": scorecard.currency,
            "attribution": rule.model_dump(mode="json"),
            "attribution_text": rule.describe(),
            "scorecard": scorecard.name,
        },
    )
    card = scorecard.roles.get("agency")
    values = {aid: agency_measures(f) for aid, f in figures.items()}
    if card is None:
        report.notes.append("the scorecard file has no [roles.agency] card: figures only, no score")
        cols = [
            Column("agency", "agency"),
            Column("name", "name"),
            *(_column(k) for k in next(iter(values.values()), {})),
        ]
        report.tables.append(
            Table("agencies", "agencies", cols, [[aid, figures[aid].name, *v.values()] for aid, v in values.items()])
        )
        return report
    for aid, f in figures.items():
        values[aid]["ended"], values[aid]["recalled"] = f.ended, f.recalled
    rows, points_rows, ranked = _scored_rows(
        card, {}, values, scorecard, "agency", month, lambda aid: [figures[aid].name]
    )
    report.tables.append(
        Table(
            "agencies",
            "agencies: recovery, commission, recalls, complaints, quality",
            _columns(card, [Column("agency", "agency"), Column("name", "name")]),
            rows,
        )
    )
    report.tables.append(
        Table(
            "agency_points",
            "agencies: points per measure",
            [
                Column("agency", "agency"),
                *(Column(m.measure, f"{MEASURES[m.measure].label} (w {m.weight})", "points") for m in card.measures),
                Column("score", "score", "score"),
            ],
            points_rows,
        )
    )
    if ranked:
        names = [r[0] for r in ranked]
        report.charts.append(
            Chart(
                "agency_scores",
                "Agency weighted score (0-100) and recovery rate",
                "bars",
                {
                    "labels": names,
                    "series": {
                        "score / 100": [float((r[1].value or 0) / 100) for r in ranked],
                        "recovery rate": [float(values[n]["recovery_rate"] or 0) for n in names],
                    },
                    "percent": True,
                },
            )
        )
    else:
        report.notes.append("no agency placed, collected or was named in this month")
    return report
