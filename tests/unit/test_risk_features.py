"""Risk features on hand-built histories, and the no-leakage rule: a feature as of a date uses only
what was known before it (statements cut before it, record events before its first moment)."""

import math
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.domain.months import add_months
from arrears.risk.behaviour import month_end
from arrears.risk.features import NAMES, EpisodeFact, Event, History, Month, cutoff, feature_vector, features

AS_OF = date(2026, 7, 1)
TZ = "Asia/Shanghai"


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(TZ))


def month(m: date, balance: float, paid: float, limit: float = 10_000, minimum: float | None = None, cash: float = 0,
          reversals: int = 0, on_book: int = 24) -> Month:
    minimum = round(max(balance * 0.1, 100), 2) if minimum is None else minimum
    return Month(m, limit, balance, min(minimum, balance), paid, cash, max(balance - limit, 0), on_book, reversals)


def months_before(as_of: date, rows: list[tuple[float, float]], **kw) -> tuple[Month, ...]:
    """rows oldest first, ending with the month before as_of: (balance, paid)."""
    start = add_months(as_of.replace(day=1), -len(rows))
    return tuple(month(add_months(start, i), b, p, **kw) for i, (b, p) in enumerate(rows))


def test_behaviour_features_on_a_minimum_payer_running_up_the_limit():
    # Six statements: utilisation 40% -> 90%, and from the second one on paying exactly the previous minimum.
    balances = [4000, 5000, 6000, 7000, 8000, 9000]
    rows = [(balances[0], 0.0)] + [(b, round(max(balances[i] * 0.1, 100), 2)) for i, b in enumerate(balances[1:])]
    h = History("A1", months_before(AS_OF, rows), timezone=TZ)
    f = features(h, AS_OF)
    assert f["utilisation"] == 0.9
    assert math.isclose(f["utilisation_trend"], 0.1)  # ten points a month
    assert f["min_payment_only_months"] == 5 and f["below_minimum_months"] == 0
    assert f["over_limit"] == 0 and f["over_limit_months"] == 0
    # Paid / previous balance over the last three statements: 700/7000... each is exactly 10 %.
    assert math.isclose(f["payment_ratio"], 0.1)
    assert f["cash_advance_share"] == 0 and f["payment_reversals"] == 0 and f["months_on_book"] == 24


def test_over_limit_cash_advances_reversals_and_missed_minimums():
    start = add_months(AS_OF, -4)
    h = History("A2", (
        month(start, 9000, 0, cash=0),
        month(add_months(start, 1), 9500, 2000, cash=1000),
        month(add_months(start, 2), 10_400, 100, cash=2000, reversals=1),  # paid 100 of a 950 minimum
        month(add_months(start, 3), 11_000, 1040, cash=500),  # over the limit by 1,000
    ), timezone=TZ)
    f = features(h, AS_OF)
    assert f["over_limit"] == 1 and f["over_limit_months"] == 2
    assert f["below_minimum_months"] == 1
    assert math.isclose(f["cash_advance_share"], (1000 + 2000 + 500) / 10_000)
    assert f["payment_reversals"] == 1
    assert math.isclose(f["utilisation"], 1.1)


def test_no_statements_means_missing_behaviour_not_zero():
    f = features(History("A3", timezone=TZ), AS_OF)
    assert all(f[n] is None for n in NAMES[:10])
    assert f["worst_dpd_12m"] == 0 and f["episodes_12m"] == 0 and f["rpc_rate"] is None
    assert f["dpd_now"] == 0 and f["episode_paid_share"] is None


def test_record_features_from_past_and_open_episodes():
    past = EpisodeFact("e1", AS_OF - timedelta(days=300), at(AS_OF - timedelta(days=299)),
                       at(AS_OF - timedelta(days=260)), "cured", 500)  # reached DPD 40, 260 days ago
    recent = EpisodeFact("e2", AS_OF - timedelta(days=120), at(AS_OF - timedelta(days=119)),
                         at(AS_OF - timedelta(days=110)), "cured", 500)  # DPD 10, 110 days ago
    current = EpisodeFact("e3", AS_OF - timedelta(days=25), at(AS_OF - timedelta(days=24)), None, None, 800)
    events = (
        Event(at(AS_OF - timedelta(days=20)), "outcome", "right_party_contact", "job_loss", "e3"),
        Event(at(AS_OF - timedelta(days=18)), "outcome", "no_answer", "", "e3"),
        Event(at(AS_OF - timedelta(days=17)), "outcome", "no_answer", "", "e3"),
        Event(at(AS_OF - timedelta(days=16)), "outcome", "refused_to_pay", "", "e3"),
        Event(at(AS_OF - timedelta(days=15)), "broken_promise", episode_id="e3"),
        Event(at(AS_OF - timedelta(days=280)), "broken_promise", episode_id="e1"),
        Event(at(AS_OF - timedelta(days=400)), "broken_promise", episode_id="old"),  # over a year ago
        Event(at(AS_OF - timedelta(days=14)), "hold", "hardship", episode_id="e3"),
        Event(at(AS_OF - timedelta(days=100)), "hold", "dispute", episode_id="e2"),
        Event(at(AS_OF - timedelta(days=10)), "payment", episode_id="e3", amount=200),
        Event(at(AS_OF - timedelta(days=115)), "payment", episode_id="e2", amount=500),  # another episode's
    )
    f = features(History("A4", episodes=(past, recent, current), events=events, timezone=TZ), AS_OF)
    assert f["worst_dpd_12m"] == 40 and f["worst_dpd_6m"] == 10  # earlier episodes only: the open one is dpd_now
    assert f["episodes_12m"] == 3
    assert f["broken_promises_12m"] == 2
    assert f["rpc_rate"] == 0.5  # reached: the RPC and the refusal, of four outcomes
    assert f["reason_hardship"] == 1 and f["reason_unwilling"] == 1
    assert f["hardship_holds_12m"] == 1 and f["disputes_12m"] == 1
    assert f["dpd_now"] == 25
    assert f["episode_paid_share"] == 0.25


# ---- no leakage --------------------------------------------------------------------------------------


def truncated(h: History, as_of: date) -> History:
    """What the record held at the as-of date's first moment, built independently of the feature code."""
    moment = datetime.combine(as_of, time(0), tzinfo=ZoneInfo(h.timezone or "UTC"))
    episodes = tuple(
        e if e.closed_at is None or e.closed_at < moment else EpisodeFact(e.episode_id, e.due_date, e.started_at,
                                                                           None, None, e.opening_overdue, e.trigger)
        for e in h.episodes if e.started_at < moment
    )
    return History(h.account_id, tuple(m for m in h.months if month_end(m.month) < as_of), episodes,
                   tuple(v for v in h.events if v.at < moment), h.timezone)


DAY0 = date(2025, 1, 1)
days = st.integers(min_value=0, max_value=900)
# As-of dates and moments lean on the edges: statement cuts, month starts, local midnights.
as_of_dates = st.one_of(
    days.map(lambda d: DAY0 + timedelta(days=d)),
    st.integers(0, 29).map(lambda k: month_end(add_months(DAY0, k))),
    st.integers(0, 29).map(lambda k: add_months(DAY0, k)),
)
moments = st.one_of(
    st.builds(lambda d, minute: datetime.combine(DAY0 + timedelta(days=d), time(0), tzinfo=timezone.utc)
              + timedelta(minutes=minute), days, st.integers(0, 24 * 60 - 1)),
    st.builds(lambda d, tz: datetime.combine(DAY0 + timedelta(days=d), time(0), tzinfo=ZoneInfo(tz)),
              days, st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"])),
)
amounts = st.floats(min_value=0, max_value=30_000, allow_nan=False)


@st.composite
def histories(draw) -> History:
    tz = draw(st.sampled_from([None, "UTC", "Asia/Shanghai", "America/New_York"]))
    first = add_months(DAY0, draw(st.integers(0, 12)))
    n = draw(st.integers(0, 18))
    months = tuple(Month(add_months(first, i), 10_000, draw(amounts), draw(st.floats(0, 3000)), draw(amounts),
                         draw(st.floats(0, 3000)), draw(st.floats(0, 5000)), 12 + i, draw(st.integers(0, 2)))
                   for i in range(n))
    episodes = []
    for k in range(draw(st.integers(0, 4))):
        started = draw(moments)
        due = started.date() - timedelta(days=draw(st.integers(-5, 40)))
        closed = draw(st.one_of(st.none(), st.builds(lambda d: started + timedelta(days=d), st.integers(1, 200))))
        episodes.append(EpisodeFact(f"e{k}", due, started, closed, "cured" if closed else None, draw(st.floats(1, 5000))))
    kinds = st.sampled_from(["broken_promise", "broken_plan", "outcome", "hold", "payment"])
    events = tuple(
        Event(draw(moments), kind, draw(st.sampled_from(["right_party_contact", "no_answer", "hardship", "dispute"])),
              draw(st.sampled_from(["", "job_loss", "unwilling"])), draw(st.sampled_from(["e0", "e1", "e2"])),
              draw(st.floats(0, 1000)))
        for kind in draw(st.lists(kinds, max_size=12))
    )
    return History("H", months, tuple(episodes), events, tz)


def same(a: list[float], b: list[float]) -> bool:
    return all((math.isnan(x) and math.isnan(y)) or math.isclose(x, y, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


@settings(max_examples=250, deadline=None)
@given(histories(), as_of_dates)
def test_no_feature_sees_anything_dated_on_or_after_the_as_of_date(history, as_of):
    assert same(feature_vector(history, as_of), feature_vector(truncated(history, as_of), as_of))


def test_the_leakage_check_is_live():
    # Guard for the property above: a statement cut on the as-of date itself, a payment and an episode
    # closing at its first moment all change the features when (wrongly) kept.
    as_of = date(2026, 8, 1)
    h = History("L", months=months_before(as_of, [(5000, 500), (6000, 500)]),
                episodes=(EpisodeFact("e", date(2026, 7, 1), at(date(2026, 7, 2)), cutoff(as_of, TZ), "cured", 100),),
                events=(Event(cutoff(as_of, TZ), "broken_promise"),), timezone=TZ)
    leaky = History("L", h.months + (month(date(2026, 8, 1), 9000, 0),), h.episodes,
                    h.events + (Event(cutoff(as_of, TZ) - timedelta(seconds=1), "broken_promise"),), TZ)
    assert features(h, as_of)["dpd_now"] == 31, "closing at the first moment of the as-of date: still open then"
    assert features(h, as_of)["broken_promises_12m"] == 0
    assert features(leaky, as_of)["broken_promises_12m"] == 1
    assert features(leaky, as_of)["utilisation"] == features(h, as_of)["utilisation"] == 0.6, \
        "August's statement is cut on 31 August: not known on 1 August"
