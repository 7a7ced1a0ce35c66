"""The portfolio report on a constructed portfolio whose roll-rate matrix is worked out by hand
(January to March 2026; every account's state at each month end is written beside it)."""

from datetime import date, datetime, timezone
from decimal import Decimal

from arrears.insight.portfolio import portfolio_report
from tests.insight.records import Record

D = Decimal


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _portfolio(rec: Record) -> None:
    # A: due 10 Jan, never pays. 31 Jan DPD 21 M1 -> 28 Feb DPD 49 M2 -> 31 Mar DPD 80 M3.
    a = rec.episode("A", overdue="1000.00", due=date(2026, 1, 10), started=utc(2026, 1, 11))
    rec.contact(a, utc(2026, 2, 5, 9), step_id="m1-sms", result="suppressed:opt_out")
    # B: due 20 Jan (M1 at 31 Jan), pays in full on 10 Feb after an SMS, nobody worked it: a self-cure.
    b = rec.episode("B", overdue="500.00", due=date(2026, 1, 20), started=utc(2026, 1, 21), outcome="cured",
                    closed=utc(2026, 2, 10))
    rec.contact(b, utc(2026, 2, 5, 9), step_id="m1-sms")
    rec.pay(b, "500.00", utc(2026, 2, 10))
    # C: due 1 Dec 2025 (DPD 61, M3 at 31 Jan, 200 paid on 15 Jan so 600 owed), a promise, cured 20 Feb.
    rec.collector("c1")
    c = rec.episode("C", overdue="800.00", due=date(2025, 12, 1), started=utc(2025, 12, 2), outcome="cured",
                    closed=utc(2026, 2, 20))
    rec.pay(c, "200.00", utc(2026, 1, 15))
    rec.work(c, "promise_made", by="c1", when=utc(2026, 2, 15, 10))
    rec.promise(c, "600.00", made=utc(2026, 2, 15, 10), status="kept", resolved=utc(2026, 2, 20))
    rec.pay(c, "600.00", utc(2026, 2, 20))
    # D: due 14 Aug 2025, DPD 170 (M6) at 31 Jan, charged off 10 Feb writing off 3000; 250 recovered in March.
    d = rec.episode("D", overdue="2000.00", due=date(2025, 8, 14), started=utc(2025, 8, 15), outcome="charged_off",
                    closed=utc(2026, 2, 10), closing_balance="3000.00")
    rec.recovery(d, "250.00", utc(2026, 3, 12))
    # E: started 16 Feb (absent at 31 Jan): 28 Feb DPD 13 M1 -> 31 Mar DPD 44 M2.
    rec.episode("E", overdue="700.00", due=date(2026, 2, 15), started=utc(2026, 2, 16))
    # F, in Shanghai: due 1 Jan, cured at 17:00 UTC on 31 Jan = 01:00 on 1 Feb there: still M1 (DPD 30) at its
    # 31 Jan, current at 28 Feb. (Counted in UTC it would already be current at 31 Jan.)
    rec.episode("F", overdue="300.00", due=date(2026, 1, 1), started=utc(2026, 1, 2), tz="Asia/Shanghai", outcome="cured",
                closed=utc(2026, 1, 31, 17))
    # G: due 5 Jan, M1 at 31 Jan, M2 at 28 Feb, closed by an operator on 5 Mar.
    rec.episode("G", overdue="400.00", due=date(2026, 1, 5), started=utc(2026, 1, 6), outcome="closed",
                closed=utc(2026, 3, 5))
    # H is in USD: not in a CNY report.
    rec.episode("H", overdue="900.00", due=date(2026, 1, 10), started=utc(2026, 1, 11), currency="USD")
    # I: cured in December; current at 31 Jan and 28 Feb; a new episode due 1 Mar is M1 at 31 Mar.
    rec.episode("I", overdue="100.00", due=date(2025, 11, 20), started=utc(2025, 11, 21), outcome="cured",
                closed=utc(2025, 12, 20))
    rec.episode("I", overdue="150.00", due=date(2026, 3, 1), started=utc(2026, 3, 2))


def test_the_roll_rate_matrix_of_a_constructed_portfolio(any_db_url):
    rec = Record(any_db_url)
    _portfolio(rec)
    with rec.sessions() as s:
        report = portfolio_report(s, "2026-01", "2026-03", currency="CNY", as_of=date(2026, 4, 15))
    counts = {r[0]: dict(zip([c.key for c in report.table("roll_counts").columns][1:], r[1:]))
              for r in report.table("roll_counts").rows}
    # Jan->Feb: A M1>M2, B M1>cur, C M3>cur, D M6>CO, F M1>cur, G M1>M2, I cur>cur;
    # Feb->Mar: A M2>M3, B C F cur>cur, D CO>CO, E M1>M2, G M2>closed, I cur>M1.
    assert counts == {
        "current": {"accounts": 5, "current": 4, "M1": 1, "M2": 0, "M3": 0, "M7+/CO": 0, "closed": 0},
        "M1": {"accounts": 5, "current": 2, "M1": 0, "M2": 3, "M3": 0, "M7+/CO": 0, "closed": 0},
        "M2": {"accounts": 2, "current": 0, "M1": 0, "M2": 0, "M3": 1, "M7+/CO": 0, "closed": 1},
        "M3": {"accounts": 1, "current": 1, "M1": 0, "M2": 0, "M3": 0, "M7+/CO": 0, "closed": 0},
        "M6": {"accounts": 1, "current": 0, "M1": 0, "M2": 0, "M3": 0, "M7+/CO": 1, "closed": 0},
        "M7+/CO": {"accounts": 1, "current": 0, "M1": 0, "M2": 0, "M3": 0, "M7+/CO": 1, "closed": 0},
    }
    rates = {r[0]: r[1:] for r in report.table("roll_rates").rows}
    assert rates["M1"] == [5, D("0.4000"), D(0), D("0.6000"), D(0), D(0), D(0)]
    amounts = {r[0]: dict(zip([c.key for c in report.table("roll_amounts").columns][1:], r[1:]))
               for r in report.table("roll_amounts").rows}
    assert amounts["M1"]["M2"] == D("2100.0000")  # A 1000 + G 400 + E 700, owed at the first month end
    assert amounts["M1"]["current"] == D("800.0000")  # B 500 + F 300
    assert amounts["M3"]["current"] == D("600.0000")  # C: 800 less the 200 paid in January
    assert amounts["M6"]["M7+/CO"] == D("2000.0000")
    assert amounts["current"]["amount"] == D("0.0000")  # closed episodes owe nothing at the month end
    cures = {r[0]: r[1:] for r in report.table("cures").rows}
    # bucket: accounts, cure, self-cure, roll forward, to charge-off next month, flow to charge-off
    assert cures["M1"] == [5, D("0.4000"), D("0.4000"), D("0.6000"), D(0), None]  # M4, M5 unseen: no flow
    assert cures["M2"] == [2, D(0), D(0), D("0.5000"), D(0), None]
    assert cures["M3"] == [1, D("1.0000"), D(0), D(0), D(0), None]  # C was worked: not a self-cure
    assert cures["M6"] == [1, D(0), D(0), D("1.0000"), D("1.0000"), D("1.0000")]
    loss = {r[0]: r[1:] for r in report.table("net_loss").rows}
    assert loss["2026-02"] == [D("3000.0000"), D(0), D("3000.0000")]
    assert loss["2026-03"] == [D(0), D("250.0000"), D("-250.0000")]
    assert loss["total"] == [D("3000.0000"), D("250.0000"), D("2750.0000")]
    (curve,) = report.table("recovery_curves").rows
    assert curve[:6] == ["2026-02", 1, D("3000.0000"), D("250.0000"), D(0), D("0.0833")]
    assert curve[6] == D("0.0833") and curve[7:] == [None] * 10  # +2 m is April (as of 15 April); later months blank
    steps = {(r[0], r[1]): r[2:] for r in report.table("steps").rows}
    # B's SMS reached and B paid 5 days later; A's SMS was suppressed and A never paid.
    assert steps[("m1-sms", "sms")] == [1, D("1.0000"), 1, D(0), D("1.0000")]
    # C's call was a conversation, followed by the payment 5 days later.
    assert steps[("early-call", "call")] == [1, D("1.0000"), 0, None, None]
    assert {c.key for c in report.charts} >= {"roll_heatmap", "cure_curves", "recovery_curves", "steps"}
    rec.close()


def test_a_single_month_says_there_is_no_movement(sqlite_url):
    rec = Record(sqlite_url)
    _portfolio(rec)
    with rec.sessions() as s:
        report = portfolio_report(s, "2026-02", "2026-02", currency="CNY")
    assert any("at least a month apart" in n for n in report.notes)
    assert report.table("roll_counts").rows == []
    rec.close()
