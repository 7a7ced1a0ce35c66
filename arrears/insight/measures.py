"""Every measure the reports show, defined once, with its formula beside it.

The database adds things up (``arrears.insight.queries``: counts, sums of
exact money, percentiles); this module turns those figures into measures.
It is pure: a report, a scorecard and a test all get the same number from
the same figures. A measure whose denominator is zero is ``None`` (shown as
"–"), never 0: no calls is not a 0 % connect rate.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

RATE_PLACES = Decimal("0.0001")


class Family(StrEnum):
    """What a measure says about the work (the seeds' five headings of a collector's assessment)."""

    EFFECT = "effect"  # 还款比例, 回款速度: what came back, and how fast
    QUALITY = "quality"  # quality of communication: supervisors' reviews
    WORKLOAD = "workload"  # 每日数量, 电话时长, 电话接通率: volume and efficiency
    SATISFACTION = "satisfaction"  # 投诉率: complaints and disputes
    COMPLIANCE = "compliance"  # 投诉应对合规率: findings of the compliance check, complaints answered in time


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"  # shown, never banded (e.g. a raw count with no direction)


class Unit(StrEnum):
    COUNT = "count"
    AMOUNT = "amount"  # money in the report's currency
    RATE = "rate"  # a share, 0..1
    DAYS = "days"
    SECONDS = "seconds"
    PER_DAY = "per_day"
    PER_1000 = "per_1000"
    SCORE = "score"  # 0..100


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    family: Family
    unit: Unit
    better: Better
    formula: str  # as it is computed, in words a supervisor can check


_ALL = [
    # ---- effect ---------------------------------------------------------------------------
    Measure(
        "amount_recovered",
        "amount recovered",
        Family.EFFECT,
        Unit.AMOUNT,
        Better.HIGHER,
        "sum of payments in the period attributed to the subject by the attribution rule",
    ),
    Measure(
        "recovery_rate",
        "recovery rate",
        Family.EFFECT,
        Unit.RATE,
        Better.HIGHER,
        "amount recovered / overdue at assignment, where overdue at assignment is, for each episode first "
        "given to the subject in the period, its opening overdue less what was paid before that moment",
    ),
    Measure(
        "recovery_cycle_median",
        "recovery cycle, median days",
        Family.EFFECT,
        Unit.DAYS,
        Better.LOWER,
        "median over attributed payments of days from the subject's first task on the episode to the payment "
        "(nearest-rank)",
    ),
    Measure(
        "recovery_cycle_p90",
        "recovery cycle, p90 days",
        Family.EFFECT,
        Unit.DAYS,
        Better.LOWER,
        "90th percentile (nearest-rank) of the same days",
    ),
    Measure(
        "promise_kept_rate",
        "promise-kept rate",
        Family.EFFECT,
        Unit.RATE,
        Better.HIGHER,
        "promises judged kept / promises judged (kept + broken) in the period",
    ),
    Measure(
        "promise_kept_amount_rate",
        "promise-kept rate by amount",
        Family.EFFECT,
        Unit.RATE,
        Better.HIGHER,
        "amount of promises judged kept / amount of promises judged in the period",
    ),
    Measure(
        "target_attainment",
        "target attainment",
        Family.EFFECT,
        Unit.RATE,
        Better.HIGHER,
        "amount recovered / the month's recovery target (from the scorecard file)",
    ),
    # ---- workload and efficiency --------------------------------------------------------------
    Measure(
        "attempts",
        "call attempts",
        Family.WORKLOAD,
        Unit.COUNT,
        Better.HIGHER,
        "call tasks worked in the period (one recorded outcome is one attempt)",
    ),
    Measure(
        "right_party_contacts",
        "right-party contacts",
        Family.WORKLOAD,
        Unit.COUNT,
        Better.HIGHER,
        "call outcomes that were a conversation with the cardholder (right_party_contact, promise_made, "
        "refused_to_pay, callback_requested, dispute_raised, hardship_claimed) plus visits that met the cardholder",
    ),
    Measure(
        "connect_rate",
        "connect rate",
        Family.WORKLOAD,
        Unit.RATE,
        Better.HIGHER,
        "calls answered by anyone (a conversation, third_party or wrong_number) / call attempts",
    ),
    Measure(
        "contact_rate",
        "contact rate",
        Family.WORKLOAD,
        Unit.RATE,
        Better.HIGHER,
        "call conversations with the cardholder / call attempts",
    ),
    Measure(
        "promises_per_rpc",
        "promises per RPC",
        Family.WORKLOAD,
        Unit.RATE,
        Better.HIGHER,
        "promises to pay taken in the period / right-party contacts",
    ),
    Measure(
        "calls_per_working_day",
        "calls per working day",
        Family.WORKLOAD,
        Unit.PER_DAY,
        Better.HIGHER,
        "call attempts / working days of the period in the scorecard's country calendar (holidays and "
        "make-up working days included)",
    ),
    Measure(
        "total_call_seconds",
        "total call time, s",
        Family.WORKLOAD,
        Unit.SECONDS,
        Better.NEITHER,
        "sum of recorded call durations",
    ),
    Measure(
        "avg_call_seconds",
        "average call, s",
        Family.WORKLOAD,
        Unit.SECONDS,
        Better.NEITHER,
        "total call time / calls answered (unanswered calls last 0 s and would only dilute it)",
    ),
    Measure("visits", "visits", Family.WORKLOAD, Unit.COUNT, Better.HIGHER, "visit tasks worked in the period"),
    Measure(
        "visit_met_rate",
        "visits meeting the cardholder",
        Family.WORKLOAD,
        Unit.RATE,
        Better.HIGHER,
        "visits whose report says met_cardholder / visits",
    ),
    # ---- quality ------------------------------------------------------------------------------
    Measure(
        "quality_score",
        "quality score",
        Family.QUALITY,
        Unit.SCORE,
        Better.HIGHER,
        "mean of the supervisors' review scores (0-100, the rubric's weighted items) of work done in the period",
    ),
    Measure(
        "reviews", "reviews", Family.QUALITY, Unit.COUNT, Better.NEITHER, "quality reviews of work done in the period"
    ),
    # ---- customer satisfaction ------------------------------------------------------------------
    Measure(
        "complaints_per_1000",
        "complaints per 1,000 contacts",
        Family.SATISFACTION,
        Unit.PER_1000,
        Better.LOWER,
        "complaints received in the period naming the subject * 1000 / (call attempts + visits)",
    ),
    Measure(
        "disputes",
        "disputes",
        Family.SATISFACTION,
        Unit.COUNT,
        Better.NEITHER,
        "dispute_raised outcomes recorded by the subject in the period",
    ),
    # ---- compliance ---------------------------------------------------------------------------
    Measure(
        "complaints_in_time_rate",
        "complaints answered in time",
        Family.COMPLIANCE,
        Unit.RATE,
        Better.HIGHER,
        "complaints naming the subject resolved in the period by their deadline / complaints naming the subject "
        "resolved in the period, or still open with a deadline that fell in the period",
    ),
    Measure(
        "compliance_findings",
        "compliance findings",
        Family.COMPLIANCE,
        Unit.COUNT,
        Better.LOWER,
        "violations `arrears compliance check` finds in the subject's calls and visits of the period "
        "(only when the report is run with --compliance-check)",
    ),
    # ---- agencies -----------------------------------------------------------------------------
    Measure("placements", "placements", Family.WORKLOAD, Unit.COUNT, Better.NEITHER, "accounts placed in the period"),
    Measure(
        "commission",
        "commission paid",
        Family.EFFECT,
        Unit.AMOUNT,
        Better.NEITHER,
        "sum of commissions recorded on payments in the period",
    ),
    Measure(
        "commission_rate",
        "commission / recovered",
        Family.EFFECT,
        Unit.RATE,
        Better.LOWER,
        "commission paid / amount recovered",
    ),
    Measure(
        "recall_rate",
        "recall rate",
        Family.EFFECT,
        Unit.RATE,
        Better.LOWER,
        "placements recalled in the period (no payment in a placement period) / placements ended in the period",
    ),
    Measure(
        "complaints_per_100_placements",
        "complaints per 100 placements",
        Family.SATISFACTION,
        Unit.PER_1000,
        Better.LOWER,
        "complaints received in the period naming the agency * 100 / placements in the period",
    ),
]

MEASURES: dict[str, Measure] = {m.key: m for m in _ALL}


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None, scale: int = 1) -> Decimal | None:
    """numerator * scale / denominator to four places (half up), or None when there is no denominator."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    value = Decimal(numerator) * scale / Decimal(denominator)
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def nearest_rank(values: list[float], percent: int) -> float | None:
    """The percent-th percentile by the nearest-rank method: the ceil(p * n / 100)-th smallest value.

    The SQL in arrears.insight.queries ranks the same way, so both give the same number.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) * percent + 99) // 100
    return ordered[max(rank, 1) - 1]


@dataclass
class CollectorFigures:
    """What the database adds up for one collector (or team) over a period."""

    subject: str
    team: str = ""
    calls: int = 0
    connects: int = 0
    call_conversations: int = 0
    talk_seconds: int = 0
    visits: int = 0
    visits_met: int = 0
    disputes: int = 0
    promises: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    kept_amount: Decimal = Decimal(0)
    judged_amount: Decimal = Decimal(0)
    recovered: Decimal = Decimal(0)
    payments: int = 0
    overdue_assigned: Decimal = Decimal(0)
    cycle_median: float | None = None
    cycle_p90: float | None = None
    complaints: int = 0
    complaints_judged: int = 0  # resolved in the period, or open past the deadline at its end
    complaints_in_time: int = 0
    reviews: int = 0
    quality_score: Decimal | None = None
    findings: int | None = None  # None: the compliance check was not run
    working_days: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def right_party_contacts(self) -> int:
        return self.call_conversations + self.visits_met


def collector_measures(f: CollectorFigures) -> dict[str, Decimal | int | None]:
    """Each collector measure from its figures (formulas in MEASURES)."""
    days = lambda v: None if v is None else Decimal(str(v)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # noqa: E731
    return {
        "amount_recovered": f.recovered,
        "recovery_rate": ratio(f.recovered, f.overdue_assigned),
        "recovery_cycle_median": days(f.cycle_median),
        "recovery_cycle_p90": days(f.cycle_p90),
        "promise_kept_rate": ratio(f.promises_kept, f.promises_kept + f.promises_broken),
        "promise_kept_amount_rate": ratio(f.kept_amount, f.judged_amount),
        "attempts": f.calls,
        "right_party_contacts": f.right_party_contacts,
        "connect_rate": ratio(f.connects, f.calls),
        "contact_rate": ratio(f.call_conversations, f.calls),
        "promises_per_rpc": ratio(f.promises, f.right_party_contacts),
        "calls_per_working_day": ratio(f.calls, f.working_days),
        "total_call_seconds": f.talk_seconds,
        "avg_call_seconds": ratio(f.talk_seconds, f.connects),
        "visits": f.visits,
        "visit_met_rate": ratio(f.visits_met, f.visits),
        "quality_score": f.quality_score,
        "reviews": f.reviews,
        "complaints_per_1000": ratio(f.complaints, f.calls + f.visits, scale=1000),
        "disputes": f.disputes,
        "complaints_in_time_rate": ratio(f.complaints_in_time, f.complaints_judged),
        "compliance_findings": f.findings,
    }


@dataclass
class AgencyFigures:
    subject: str
    name: str = ""
    placements: int = 0
    overdue_placed: Decimal = Decimal(0)
    recovered: Decimal = Decimal(0)
    payments: int = 0
    commission: Decimal = Decimal(0)
    ended: int = 0
    recalled: int = 0
    renewed: int = 0
    complaints: int = 0
    complaints_judged: int = 0
    complaints_in_time: int = 0
    reviews: int = 0
    quality_score: Decimal | None = None
    cycle_median: float | None = None
    cycle_p90: float | None = None


def agency_measures(f: AgencyFigures) -> dict[str, Decimal | int | None]:
    """Each agency measure from its figures: the same scorecard as collectors, for outside work."""
    days = lambda v: None if v is None else Decimal(str(v)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # noqa: E731
    return {
        "placements": f.placements,
        "amount_recovered": f.recovered,
        "recovery_rate": ratio(f.recovered, f.overdue_placed),
        "recovery_cycle_median": days(f.cycle_median),
        "recovery_cycle_p90": days(f.cycle_p90),
        "commission": f.commission,
        "commission_rate": ratio(f.commission, f.recovered),
        "recall_rate": ratio(f.recalled, f.ended),
        "complaints_per_100_placements": ratio(f.complaints, f.placements, scale=100),
        "complaints_in_time_rate": ratio(f.complaints_in_time, f.complaints_judged),
        "quality_score": f.quality_score,
        "reviews": f.reviews,
    }
