"""`arrears report experiment NAME`: the arms compared on cure rate, roll forward, amount recovered per
episode and contacts per cure, each with its interval and test (arrears.insight.stats).

An episode belongs to an arm when its assignment (account and due date) says so, it started after
the assignment and it runs the arm's strategy (the hash recorded with the assignment): an episode
already running when the experiment began is not counted. The database adds everything up per arm;
the statistics are computed from those sums. Money is summed exactly (in ``money_units``) and the
amounts shown stay Decimal; only the sum of squares, which feeds nothing but the test's variance, is a
float (arrears.insight.stats).
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from arrears.db.models import ContactAttempt, ContactOutcomeRecord, Episode, ExperimentAssignment, Payment
from arrears.domain.strategy import CHAMPION, Experiment
from arrears.insight.attribution import UNDELIVERED_PREFIXES
from arrears.insight.experiment import current_shares, decisions
from arrears.insight.report import Chart, Column, Report, Table
from arrears.insight.sqlfn import UNITS, date_diff, from_units, money_units
from arrears.insight.stats import (
    TOO_SMALL,
    Moments,
    Number,
    RatioMoments,
    compare_means,
    compare_ratios,
    compare_shares,
    mean_interval,
    ratio_interval,
    wilson,
)

CURED = ("cured", "paid_on_time")


def _bucket(dpd):
    """0 for current, 1..6 for M1..M6, 7 for M7+ (the same cut as arrears.domain.delinquency)."""
    return case(
        (dpd <= 0, 0),
        (dpd <= 30, 1),
        (dpd <= 60, 2),
        (dpd <= 90, 3),
        (dpd <= 120, 4),
        (dpd <= 150, 5),
        (dpd <= 180, 6),
        else_=7,
    )


def arm_sums(session: Session, name: str, as_of: date, currency: str | None) -> dict[str, dict]:
    """Per arm: episodes, cures, roll-forwards, and the sums behind the means and ratios."""
    x, e = ExperimentAssignment, Episode
    c, o, p = ContactAttempt, ContactOutcomeRecord, Payment
    delivered = and_(*(~c.result.startswith(prefix) for prefix in UNDELIVERED_PREFIXES))
    contacts = (
        select(func.count()).where(c.episode_id == e.episode_id, delivered).correlate(e).scalar_subquery()
        + select(func.count()).where(o.episode_id == e.episode_id).correlate(e).scalar_subquery()
    )
    paid = (
        select(func.coalesce(func.sum(money_units(p.amount)), 0))
        .where(p.episode_id == e.episode_id)
        .correlate(e)
        .scalar_subquery()
    )
    last_dpd = case(
        (e.closed_at.is_not(None), func.coalesce(e.closing_dpd, e.dpd_at_start)),
        else_=date_diff(e.due_date, literal(as_of, Date())),
    )
    cured = case((e.outcome.in_(CURED), 1), else_=0)
    rolled = case((or_(e.outcome == "charged_off", _bucket(last_dpd) > _bucket(e.dpd_at_start)), 1), else_=0)
    per_episode = (
        select(
            x.arm,
            cured.label("cured"),
            rolled.label("rolled"),
            paid.label("amount_units"),
            cast(contacts, Float).label("contacts"),
        )
        .join(
            e,
            and_(
                e.account_id == x.account_id,
                e.due_date == x.due_date,
                e.strategy_hash == x.strategy_hash,
                e.started_at >= x.assigned_at,
            ),
        )
        .where(x.experiment == name, *([e.currency == currency] if currency else []))
    ).subquery("per_episode")
    q = per_episode.c
    rows = session.execute(
        select(
            q.arm,
            func.count(),
            func.sum(q.cured),
            func.sum(q.rolled),
            func.sum(q.amount_units),
            func.sum(cast(q.amount_units, Float) * cast(q.amount_units, Float)),
            func.sum(q.contacts),
            func.sum(q.contacts * q.contacts),
            func.sum(q.contacts * q.cured),
        ).group_by(q.arm)
    ).all()
    square_units = float(UNITS) ** 2
    return {
        arm: {
            "n": n,
            "cured": int(k or 0),
            "rolled": int(r or 0),
            "amount": from_units(s),
            "amount2": float(ss or 0) / square_units,
            "contacts": float(cs or 0),
            "contacts2": float(css or 0),
            "contacts_cured": float(cc or 0),
        }
        for arm, n, k, r, s, ss, cs, css, cc in rows
    }


def experiment_report(
    session: Session, name: str, experiment: Experiment | None, as_of: date, currency: str | None = None
) -> Report:
    sums = arm_sums(session, name, as_of, currency)
    arms = [a.name for a in experiment.arms] if experiment else sorted(sums, key=lambda a: (a != CHAMPION, a))
    for arm in sums:
        if arm not in arms:
            arms.append(arm)
    report = Report(
        kind="experiment",
        title=f"Experiment {name}",
        subtitle=[
            f"episodes started in each arm, as of {as_of}" + (f", in {currency}" if currency else ", all currencies"),
            "cure rate and roll forward: Wilson intervals, Newcombe interval of the difference, z-test (Fisher's "
            "exact test for small counts); amount per episode: Welch's t; contacts per cure: delta method; 95 %",
        ],
        meta={"experiment": name, "as_of": as_of.isoformat(), "currency": currency},
    )
    if experiment is not None:
        version, shares = current_shares(session, experiment)
        report.meta["traffic_version"] = version
        report.meta["shares"] = {k: str(v) for k, v in shares}
    share_of = dict(report.meta.get("shares", {}))
    rows: list[list] = []
    panels: dict[str, list[dict]] = {"cure": [], "roll": [], "amount": [], "contacts": []}
    for arm in arms:
        s = sums.get(
            arm,
            {
                "n": 0,
                "cured": 0,
                "rolled": 0,
                "amount": Decimal(0),
                "amount2": 0.0,
                "contacts": 0.0,
                "contacts2": 0.0,
                "contacts_cured": 0.0,
            },
        )
        cure, roll = wilson(s["cured"], s["n"]), wilson(s["rolled"], s["n"])
        amount = mean_interval(Moments(s["n"], s["amount"], s["amount2"]))
        per_cure = ratio_interval(_ratio(s))
        rows.append(
            [
                arm,
                share_of.get(arm),
                s["n"],
                s["cured"],
                cure.value,
                cure.low,
                cure.high,
                roll.value,
                roll.low,
                roll.high,
                amount.value,
                amount.low,
                amount.high,
                per_cure.value,
                per_cure.low,
                per_cure.high,
            ]
        )
        for key, est in (("cure", cure), ("roll", roll), ("amount", amount), ("contacts", per_cure)):
            panels[key].append(
                {"arm": arm, "estimate": _drawn(est.value), "low": _drawn(est.low), "high": _drawn(est.high)}
            )
    f = lambda v: None if v is None else _four(v)  # noqa: E731
    report.tables.append(
        Table(
            "arms",
            "arms: estimates with 95 % intervals",
            [
                Column("arm", "arm"),
                Column("share", "traffic now, %", "number"),
                Column("episodes", "episodes", "int"),
                Column("cures", "cures", "int"),
                Column("cure_rate", "cure rate", "rate"),
                Column("cure_low", "low", "rate"),
                Column("cure_high", "high", "rate"),
                Column("roll_forward", "roll forward", "rate"),
                Column("roll_low", "low", "rate"),
                Column("roll_high", "high", "rate"),
                Column("amount_per_episode", "recovered per episode", "number"),
                Column("amount_low", "low", "number"),
                Column("amount_high", "high", "number"),
                Column("contacts_per_cure", "contacts per cure", "number"),
                Column("cpc_low", "low", "number"),
                Column("cpc_high", "high", "number"),
            ],
            [[r[0], r[1], r[2], r[3], *(f(v) for v in r[4:])] for r in rows],
        )
    )
    comparisons = []
    base = sums.get(CHAMPION)
    if base is None:
        report.notes.append(f"no episode has started in the {CHAMPION} arm yet: nothing to compare with")
    else:
        for arm in arms:
            if arm == CHAMPION or arm not in sums:
                continue
            a = sums[arm]
            comparisons += [
                compare_shares("cure rate", arm, a["cured"], a["n"], CHAMPION, base["cured"], base["n"]),
                compare_shares(
                    "roll forward",
                    arm,
                    a["rolled"],
                    a["n"],
                    CHAMPION,
                    base["rolled"],
                    base["n"],
                    higher_is_better=False,
                ),
                compare_means(
                    "recovered per episode",
                    arm,
                    Moments(a["n"], a["amount"], a["amount2"]),
                    CHAMPION,
                    Moments(base["n"], base["amount"], base["amount2"]),
                ),
                compare_ratios("contacts per cure", arm, _ratio(a), CHAMPION, _ratio(base)),
            ]
    report.tables.append(
        Table(
            "comparisons",
            "each challenger against the champion (difference = challenger - champion)",
            [
                Column("measure", "measure"),
                Column("arm", "challenger"),
                Column("difference", "difference", "number"),
                Column("low", "95 % low", "number"),
                Column("high", "95 % high", "number"),
                Column("p_value", "p", "number"),
                Column("test", "test"),
                Column("verdict", "verdict"),
                Column("why", "why undecided"),
            ],
            [
                [c.measure, c.arm, f(c.difference), f(c.low), f(c.high), f(c.p_value), c.test, c.verdict, c.reason]
                for c in comparisons
            ],
            note="a verdict needs the 95 % interval of the difference to exclude 0; each challenger is compared with the "
            "champion on its own (no correction for several challengers)",
        )
    )
    too_small = sorted({c.arm for c in comparisons if c.verdict == TOO_SMALL})
    if too_small:
        report.notes.append(
            f"sample too small to decide for {', '.join(too_small)} on at least one measure: "
            "keep the experiment running before promoting anything"
        )
    report.meta["verdicts"] = [
        {
            "measure": c.measure,
            "arm": c.arm,
            "verdict": c.verdict,
            "difference": _exact(c.difference),
            "low": _exact(c.low),
            "high": _exact(c.high),
            "p_value": c.p_value,
        }
        for c in comparisons
    ]
    history = decisions(session, name)
    if history:
        report.tables.append(
            Table(
                "decisions",
                "traffic decisions (arrears strategy promote)",
                [
                    Column("version", "version", "int"),
                    Column("when", "when"),
                    Column("by", "by"),
                    Column("arm", "promoted"),
                    Column("before", "shares before"),
                    Column("after", "shares after"),
                    Column("reason", "reason"),
                ],
                [
                    [
                        d.version,
                        d.decided_at.strftime("%Y-%m-%d %H:%M UTC"),
                        d.decided_by,
                        d.promoted_arm,
                        _shares_text(d.previous_shares),
                        _shares_text(d.shares),
                        d.reason,
                    ]
                    for d in history
                ],
            )
        )
    report.charts.append(
        Chart(
            "arms",
            "Arms with their 95 % intervals",
            "intervals",
            {
                "panels": [
                    {"title": "cure rate", "arms": panels["cure"], "percent": True},
                    {"title": "roll forward", "arms": panels["roll"], "percent": True},
                    {"title": "recovered per episode", "arms": panels["amount"]},
                    {"title": "contacts per cure", "arms": panels["contacts"]},
                ]
            },
        )
    )
    if not sums:
        report.notes.append(f"no episode has started under experiment {name} yet")
    return report


def _four(value: Number) -> Decimal:
    """Four decimals at most, written as the report always has: without trailing zeros (a float's
    shortest form), whether the value is a rate (float) or an amount (Decimal)."""
    rounded = Decimal(str(round(value, 4)))
    if isinstance(value, float):
        return rounded
    text = f"{rounded:f}"
    whole, _, decimals = text.partition(".")
    return Decimal(f"{whole}.{decimals.rstrip('0') or '0'}")


def _drawn(value: Number | None) -> float | None:
    # A point on the chart's axis, not an amount anyone reads: matplotlib draws floats.
    return None if value is None else float(value)


def _exact(value: Number | None) -> Number | None:
    # An amount (the difference in recovered per episode) at the money columns' four decimals; rates and
    # ratios stay floats.
    return value.quantize(Decimal("0.0001")) if isinstance(value, Decimal) else value


def _ratio(s: dict) -> RatioMoments:
    # y (cured) is 0 or 1 per episode: its sum of squares is its sum.
    return RatioMoments(
        s["n"], s["contacts"], float(s["cured"]), s["contacts2"], float(s["cured"]), s["contacts_cured"]
    )


def _shares_text(shares: dict) -> str:
    return ", ".join(f"{k} {Decimal(v).normalize():f}" for k, v in shares.items())
