"""Every collector and agency measure on a small hand-built month, on SQLite and PostgreSQL.

The answers are worked out beside the facts: March 2026 (UTC), 22 working days.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from arrears.insight.attribution import AttributionRule
from arrears.insight.measures import MEASURES, AgencyFigures, CollectorFigures, agency_measures, collector_measures, nearest_rank, ratio
from arrears.insight.queries import month_period
from arrears.insight.scorecard_figures import agency_figures, collector_figures, team_figures
from tests.insight.records import Record, at

MARCH = month_period("2026-03", "UTC")
RULE = AttributionRule()
D = Decimal


def test_ratio_and_percentile_are_plain_arithmetic():
    assert ratio(2, 3) == D("0.6667") and ratio(1, 0) is None and ratio(None, 5) is None
    assert ratio(1, 8, scale=1000) == D("125.0000")
    assert nearest_rank([], 50) is None
    assert nearest_rank([3.0], 90) == 3.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2.0  # ceil(0.5 * 4) = 2nd
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 90) == 4.0  # ceil(3.6) = 4th
    assert nearest_rank([5.0, 1.0, 3.0], 50) == 3.0


def test_every_measure_has_a_formula_and_a_family():
    for m in MEASURES.values():
        assert m.formula and m.label and m.family and m.unit and m.better
    # Each key collector_measures or agency_measures returns is defined.
    keys = set(collector_measures(CollectorFigures("x"))) | set(agency_measures(AgencyFigures("x")))
    assert keys <= set(MEASURES)


def _month(rec: Record) -> None:
    """c1 works A1, A2 (CNY) and A5 (USD); c2 works A3. Each fact's consequence is noted."""
    rec.collector("c1", team="east")
    rec.collector("c2", team="east")
    rec.collector("c9", team="west")
    # A1, 1000 overdue. c1 calls day 1 (no answer), day 2 (conversation, 120 s), day 3 (promise, 300 s).
    e1 = rec.episode("A1", overdue="1000.00")
    rec.work(e1, "no_answer", by="c1", when=at(1, 10))
    rec.work(e1, "right_party_contact", by="c1", when=at(2, 10), seconds=120)
    t13 = rec.work(e1, "promise_made", by="c1", when=at(3, 10), seconds=300)
    rec.promise(e1, "400.00", made=at(3, 10), status="kept", by="c1", resolved=at(6))
    rec.pay(e1, "400.00", at(5, 12))  # -> c1 (last RPC day 3); cycle 4 d 2 h from c1's first task (day 1 10:00)
    rec.pay(e1, "99.00", at(32, 12))  # 2 April: outside the month
    # A2, 500 overdue. c1: wrong number (30 s), third party (60 s), a visit that met the cardholder, a dispute (200 s).
    e2 = rec.episode("A2", overdue="500.00")
    rec.work(e2, "wrong_number", by="c1", when=at(10, 10), seconds=30)
    rec.work(e2, "third_party", by="c1", when=at(11, 10), seconds=60)
    rec.work(e2, "right_party_contact", by="c1", when=at(12, 10), kind="visit", met=True, step_id="mid-visit")
    rec.promise(e2, "200.00", made=at(12, 10), status="broken", by="c1", resolved=at(16))
    rec.work(e2, "dispute_raised", by="c1", when=at(13, 10), seconds=200)
    rec.pay(e2, "100.00", at(20))  # -> c1 (the day-13 conversation); cycle 9 d 14 h from day 10 10:00
    # A5 is in USD: its call counts as work, its money not (the scorecard's currency is CNY).
    e5 = rec.episode("A5", overdue="300.00", currency="USD")
    rec.work(e5, "right_party_contact", by="c1", when=at(14, 10), seconds=100)
    rec.pay(e5, "300.00", at(15), currency="USD")
    # c1's complaints: one answered in time, one received late in the month (deadline in April).
    rec.complaint("A1", received=at(8), collector="c1", resolved=at(12))
    rec.complaint("A2", received=at(25), collector="c1")
    # c1's reviews: 80 and 90 in March; a February one (10) does not count.
    rec.review(e1, t13, "80", collector="c1", worked=at(2, 10))
    rec.review(e1, t13, "90", collector="c1", worked=at(3, 10), reviewer="s2")
    rec.review(e1, t13, "10", collector="c1", worked=at(-2), reviewer="s3")
    # A3, 800 overdue: c2 calls three times with no answer; a fourth call, due day 20, is still open
    # when the customer pays on day 21 -> c2 (open task); cycle 16 d 23 h from day 4 10:00.
    e3 = rec.episode("A3", overdue="800.00")
    for day in (4, 5, 6):
        rec.work(e3, "no_answer", by="c2", when=at(day, 10))
    rec.task(e3, kind="call", holder="c2", due=at(20, 10))
    rec.pay(e3, "800.00", at(21, 9))
    # c2's complaints: one answered after its deadline; one from February, still open past its March deadline.
    rec.complaint("A3", received=at(5), collector="c2", resolved=at(25))
    rec.complaint("A3", received=at(-9), collector="c2")


def test_collector_measures_of_a_hand_built_month(any_db_url):
    rec = Record(any_db_url)
    _month(rec)
    with rec.sessions() as s:
        figures = collector_figures(s, RULE, MARCH, "CNY")
        teams = team_figures(s, RULE, MARCH, "CNY", figures)
    assert set(figures) == {"c1", "c2"}  # c9 did nothing in March
    c1 = collector_measures(figures["c1"])
    assert c1 == {
        "attempts": 7,  # 3 on A1, 3 on A2, 1 on A5
        "right_party_contacts": 5,  # 4 call conversations (RPC, promise, dispute, A5) + 1 visit that met
        "connect_rate": D("0.8571"),  # 6 answered (all but the no-answer) / 7
        "contact_rate": D("0.5714"),  # 4 / 7
        "promises_per_rpc": D("0.4000"),  # 2 promises / 5 RPC
        "promise_kept_rate": D("0.5000"),  # 1 kept / (1 kept + 1 broken)
        "promise_kept_amount_rate": D("0.6667"),  # 400 / (400 + 200)
        "amount_recovered": D("500.0000"),  # 400 + 100 CNY (the USD 300 is not CNY; the April 99 is not March)
        "recovery_rate": D("0.3333"),  # 500 / (1000 + 500) overdue when first assigned
        "recovery_cycle_median": D("4.1"),  # of [4.08, 9.58] days: the 1st
        "recovery_cycle_p90": D("9.6"),  # the 2nd
        "calls_per_working_day": D("0.3182"),  # 7 / 22
        "total_call_seconds": 810,  # 120 + 300 + 30 + 60 + 200 + 100
        "avg_call_seconds": D("135.0000"),  # 810 / 6 answered
        "visits": 1,
        "visit_met_rate": D("1.0000"),
        "quality_score": D("85.00"),  # (80 + 90) / 2
        "reviews": 2,
        "complaints_per_1000": D("250.0000"),  # 2 received * 1000 / (7 calls + 1 visit)
        "disputes": 1,
        "complaints_in_time_rate": D("1.0000"),  # 1 answered in time / 1 judged (the other's deadline is in April)
        "compliance_findings": None,  # the check was not run
    }
    c2 = collector_measures(figures["c2"])
    assert (c2["attempts"], c2["connect_rate"], c2["contact_rate"], c2["promises_per_rpc"]) == (3, D(0), D(0), None)
    assert (c2["amount_recovered"], c2["recovery_rate"]) == (D("800.0000"), D("1.0000"))
    assert (c2["recovery_cycle_median"], c2["recovery_cycle_p90"]) == (D("17.0"), D("17.0"))
    assert c2["complaints_per_1000"] == D("333.3333")  # 1 received in March * 1000 / 3
    assert c2["complaints_in_time_rate"] == D("0.0000")  # 0 of 2 judged (one late, one open past its deadline)
    assert c2["quality_score"] is None and c2["promise_kept_rate"] is None
    east = collector_measures(teams["east"])
    assert (east["attempts"], east["amount_recovered"], east["recovery_rate"]) == (10, D("1300.0000"), D("0.5652"))
    # The team's cycle is ranked over its own three payments [4.08, 9.58, 16.96]: 2nd and 3rd.
    assert (east["recovery_cycle_median"], east["recovery_cycle_p90"]) == (D("9.6"), D("17.0"))
    assert east["quality_score"] == D("85.00") and teams["east"].extra["members"] == 2
    rec.close()


def test_working_days_follow_the_country_calendar():
    assert MARCH.working_days(None) == 22
    # October 2026 in China: Golden Week (1-7 Oct off) with make-up working days on the weekends around it.
    october = month_period("2026-10", "Asia/Shanghai")
    assert october.working_days("CN") < october.working_days(None)
    with pytest.raises(ValueError, match="month: give it as YYYY-MM"):
        month_period("March", "UTC")


def test_agency_measures_of_a_hand_built_month(any_db_url):
    rec = Record(any_db_url)
    rec.agency("AG1")
    rec.agency("AG2")
    # AG1 gets A1 (1000 overdue, 200 paid before placement) and A2 (500); A2 pays 300 while placed
    # (commission 30) and A1 nothing: A1 is recalled on day 20.
    e1 = rec.episode("A1", overdue="1000.00")
    rec.pay(e1, "200.00", at(1))
    rec.place(e1, "AG1", placed=at(2), ended=at(20), status="recalled")
    e2 = rec.episode("A2", overdue="500.00")
    p2 = rec.place(e2, "AG1", placed=at(3))
    rec.pay(e2, "300.00", at(13), payment_id="AGP1", channel="agency")
    rec.commission(e2, p2, "AG1", "AGP1", "300.00", "30.00")
    # AG2 gets A3 (400), which pays 400 on day 6 and closes the placement at that moment.
    e3 = rec.episode("A3", overdue="400.00")
    p3 = rec.place(e3, "AG2", placed=at(4), ended=at(6), status="closed")
    rec.pay(e3, "400.00", at(6), payment_id="AGP2", channel="agency")
    rec.commission(e3, p3, "AG2", "AGP2", "400.00", "40.00")
    rec.complaint("A3", received=at(7), agency="AG2", resolved=at(9))
    with rec.sessions() as s:
        figures = agency_figures(s, RULE, MARCH, "CNY")
    ag1, ag2 = agency_measures(figures["AG1"]), agency_measures(figures["AG2"])
    assert ag1["placements"] == 2 and ag1["amount_recovered"] == D("300.0000")
    assert ag1["recovery_rate"] == D("0.2308")  # 300 / (800 + 500)
    assert ag1["commission"] == D("30.0000") and ag1["commission_rate"] == D("0.1000")
    assert ag1["recall_rate"] == D("1.0000")  # 1 recalled / 1 ended
    assert ag1["recovery_cycle_median"] == D("10.0")  # day 3 -> day 13
    assert ag2["recovery_rate"] == D("1.0000") and ag2["recall_rate"] == D("0.0000")
    assert ag2["complaints_per_100_placements"] == D("100.0000") and ag2["complaints_in_time_rate"] == D("1.0000")
    rec.close()


def test_the_reference_lists_every_measure_with_its_formula():
    from arrears import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    for m in MEASURES.values():
        assert f"| `{m.key}` | {m.label} | {m.family.value} | {m.better.value} | {m.formula} |" in text, m.key
