"""Bureau status, the prior-notice rule, corrections, and the file written then read back."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.domain.bureau import (
    NoticeSent,
    effective_notice,
    following_period,
    previous_period,
    reporting_moment,
    BureauFileError,
    BureauPolicy,
    BureauStatus as S,
    decide_report,
    is_negative,
    may_report_negative,
    parse_file,
    parse_period,
    period_end,
    render_file,
    report_row,
    status_for,
    to_minor,
)

AS_OF = date(2026, 11, 30)
POLICY = BureauPolicy(notice_days=14, negative_from_dpd=31)


def st(outcome=None, dpd=0, overdue="100", balance="5000"):
    return status_for(outcome=outcome, dpd=dpd, overdue=Decimal(overdue), balance=Decimal(balance))


def test_status_from_the_episode():
    assert st(dpd=0) == S.CURRENT
    assert st(dpd=1) == S.M1 and st(dpd=61) == S.M3 and st(dpd=181) == S.M7_PLUS
    assert st(dpd=45, overdue="0") == S.CURRENT
    assert st("cured", dpd=40) == S.CURRENT
    assert st("cured", dpd=40, balance="0") == S.PAID
    assert st("settled", dpd=100) == S.SETTLED
    assert st("charged_off", dpd=180) == S.CHARGED_OFF
    assert st("closed", dpd=70) == S.M3 and st("closed", dpd=70, overdue="0", balance="0") == S.PAID
    with pytest.raises(ValueError, match="unknown episode outcome"):
        st("vanished")
    assert [s for s in S if not is_negative(s)] == [S.CURRENT, S.PAID]


def test_negative_waits_for_the_notice_and_its_period():
    assert may_report_negative(None, AS_OF, POLICY) == (False, "no prior notice sent")
    allowed, why = may_report_negative(date(2026, 11, 17), AS_OF, POLICY)
    assert not allowed and why == "notice sent 2026-11-17; its 14-day period ends 2026-12-01"
    assert may_report_negative(date(2026, 11, 16), AS_OF, POLICY)[0]


def test_withheld_is_reported_current_and_says_why():
    d = decide_report(S.M3, 70, notice_sent_on=None, previous_reported=None, as_of=AS_OF, policy=POLICY)
    assert (d.status, d.reported, d.withheld, d.correction) == (S.M3, S.CURRENT, True, False)
    assert d.reason == "withheld pending notice: no prior notice sent"
    row = report_row("A1", d, dpd=70, overdue=Decimal("900.00"), balance=Decimal("5000.00"), currency="CNY", as_of=AS_OF)
    assert (row.status, row.dpd, row.bucket, row.overdue, row.withheld) == (S.CURRENT, 0, "M0", Decimal(0), True)


def test_noticed_negative_is_reported_with_its_amounts():
    d = decide_report(S.M3, 70, notice_sent_on=date(2026, 10, 1), previous_reported=S.CURRENT, as_of=AS_OF, policy=POLICY)
    assert (d.reported, d.withheld, d.correction) == (S.M3, False, False)
    row = report_row("A1", d, dpd=70, overdue=Decimal("900.00"), balance=Decimal("5000.00"), currency="CNY", as_of=AS_OF)
    assert (row.dpd, row.bucket, row.overdue) == (70, "M3", Decimal("900.00"))


def test_early_buckets_below_the_threshold_are_current_without_a_notice():
    d = decide_report(S.M1, 20, notice_sent_on=None, previous_reported=None, as_of=AS_OF, policy=POLICY)
    assert (d.reported, d.withheld) == (S.CURRENT, False) and "below negative_from_dpd 31" in d.reason
    strict = BureauPolicy(negative_from_dpd=1)
    assert decide_report(S.M1, 20, notice_sent_on=None, previous_reported=None, as_of=AS_OF, policy=strict).withheld


def test_a_cure_after_a_negative_report_is_a_correction():
    d = decide_report(S.CURRENT, 0, notice_sent_on=date(2026, 9, 1), previous_reported=S.M3, as_of=AS_OF, policy=POLICY)
    assert (d.reported, d.correction) == (S.CURRENT, True) and d.reason == "corrects the previous report (M3)"
    assert not decide_report(S.PAID, 0, notice_sent_on=None, previous_reported=S.CURRENT, as_of=AS_OF,
                             policy=POLICY).correction
    # A charged-off account stays negative: no correction.
    assert not decide_report(S.CHARGED_OFF, 180, notice_sent_on=date(2026, 9, 1), previous_reported=S.M6,
                             as_of=AS_OF, policy=POLICY).correction


def rows():
    noticed = decide_report(S.M3, 70, notice_sent_on=date(2026, 10, 1), previous_reported=None, as_of=AS_OF, policy=POLICY)
    cured = decide_report(S.CURRENT, 0, notice_sent_on=None, previous_reported=S.M2, as_of=AS_OF, policy=POLICY)
    return [
        report_row("B2", noticed, dpd=70, overdue=Decimal("900.5"), balance=Decimal("5000.00"), currency="CNY", as_of=AS_OF),
        report_row("A1", cured, dpd=0, overdue=Decimal(0), balance=Decimal("12000"), currency="JPY", as_of=AS_OF),
    ]


def test_file_written_then_read_back():
    text = render_file("BANK01", "2026-11", AS_OF, rows())
    lines = text.splitlines()
    assert lines[0] == "H|ARREARS-BUREAU|1|BANK01|2026-11|2026-11-30"
    assert lines[1] == "D|1|A1|current|0|M0|0|12000|JPY|2026-11-30|N|Y"
    assert lines[2] == "D|2|B2|M3|70|M3|90050|500000|CNY|2026-11-30|N|N"
    assert lines[3].startswith("T|2|") and len(lines[3]) == 4 + 64
    back = parse_file(text)
    assert (back.institution, back.period, back.as_of) == ("BANK01", "2026-11", AS_OF)
    assert list(back.rows) == sorted(rows(), key=lambda r: r.account_id)
    assert render_file("BANK01", "2026-11", AS_OF, reversed(rows())) == text  # same rows, same bytes


def test_the_reader_catches_tampering_and_truncation():
    text = render_file("BANK01", "2026-11", AS_OF, rows())
    with pytest.raises(BureauFileError, match="checksum"):
        parse_file(text.replace("|M3|70|", "|M3|71|"))
    with pytest.raises(BureauFileError, match="trailer counts 2 records, the file has 1"):
        parse_file("\n".join(line for line in text.split("\n") if not line.startswith("D|2|")))
    with pytest.raises(BureauFileError, match="truncated"):
        parse_file(text[:-1])
    with pytest.raises(BureauFileError, match="line 2 correction: expected Y or N"):
        parse_file(text.replace("|N|Y\n", "|N|X\n"))


def test_fields_and_amounts_are_checked_on_the_way_out():
    with pytest.raises(BureauFileError, match="may not contain"):
        render_file("BANK|01", "2026-11", AS_OF, [])
    with pytest.raises(ValueError, match="minor unit"):
        to_minor(Decimal("1.005"), "CNY")
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period("2026-13")
    assert period_end("2028-02") == date(2028, 2, 29)


def test_policy_names_the_field():
    with pytest.raises(ValidationError, match="notice_days"):
        BureauPolicy(notice_days=0)
    with pytest.raises(ValidationError, match="notice_template"):
        BureauPolicy(notice_template="../etc")


def test_the_cycle_reports_each_month_on_its_day_after_it_has_ended_everywhere():
    assert previous_period(date(2026, 1, 15)) == "2025-12"  # across the year
    assert previous_period(date(2026, 3, 1)) == "2026-02"
    assert following_period("2025-12") == "2026-01"
    assert following_period("2028-02") == "2028-03"
    assert reporting_moment("2025-12", 2) == datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert reporting_moment("2028-02", 28) == datetime(2028, 3, 28, tzinfo=timezone.utc)
    # 31 January ends at 12:00 UTC on 1 February in UTC-12; day 1 would report that account early.
    with pytest.raises(ValueError, match="report_day must be 2..28"):
        reporting_moment("2026-01", 1)
    with pytest.raises(ValueError, match="report_day must be 2..28"):
        reporting_moment("2026-01", 29)


def test_only_a_notice_that_can_have_arrived_counts():
    posted = NoticeSent(sent_on=date(2026, 10, 5), recipient="1 Main St", result="queued")
    assert effective_notice([posted], returned=[]) == (date(2026, 10, 5), "")
    assert effective_notice([], returned=[]) == (None, "")
    assert effective_notice([posted], returned=["1 Main St"]) == (
        None, "the prior notice of 2026-10-05 was returned undeliverable (address recorded invalid)")
    unposted = NoticeSent(sent_on=date(2026, 10, 1), recipient="", result="no_address")
    assert effective_notice([posted, unposted], returned=[]) == (date(2026, 10, 5), "")
    assert effective_notice([unposted], returned=[]) == (None, "the prior notice of 2026-10-01 was not sent (no_address)")
    # The reason reaches the report.
    d = decide_report(S.M3, 70, notice_sent_on=None, previous_reported=None, as_of=AS_OF, policy=POLICY,
                      notice_problem="the prior notice of 2026-10-01 was not sent (no_address)")
    assert d.withheld and d.reason == "withheld pending notice: the prior notice of 2026-10-01 was not sent (no_address)"
