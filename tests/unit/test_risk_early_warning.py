"""The early-warning rules on hand-built statement histories, each with its reason."""

from datetime import date, datetime, time, timedelta, timezone

from arrears.domain.months import add_months
from arrears.risk.early_warning import flags
from arrears.risk.features import EpisodeFact, History, Month

AS_OF = date(2026, 11, 1)


def history(rows: list[dict], **kw) -> History:
    """rows oldest first, the last one October 2026 (cut before AS_OF)."""
    start = add_months(AS_OF, -len(rows))
    months = []
    for i, r in enumerate(rows):
        balance = r.get("balance", 2000.0)
        months.append(Month(add_months(start, i), r.get("limit", 10_000.0), balance, r.get("minimum", balance * 0.1),
                            r.get("paid", balance), r.get("cash", 0.0), max(balance - r.get("limit", 10_000.0), 0.0),
                            36, r.get("reversals", 0)))
    return History("A", tuple(months), timezone="UTC", **kw)


def names(h: History) -> list[str]:
    return [f.name for f in flags(h, AS_OF)]


def test_a_steady_full_payer_is_not_listed():
    assert flags(history([{}] * 6), AS_OF) == []


def test_over_limit_says_by_how_much():
    found = flags(history([{}] * 5 + [{"balance": 10_750.0}]), AS_OF)
    assert [f.name for f in found] == ["over_limit", "utilisation_jump"]
    assert found[0].reason == "statement 2026-10 is 750.00 over the limit (108% used)"


def test_a_minimum_payment_streak_of_three():
    rows = [{"balance": 5000.0, "minimum": 500.0, "paid": 5000.0}] * 3
    rows += [{"balance": 5000.0, "minimum": 500.0, "paid": 500.0}] * 3
    found = flags(history(rows), AS_OF)
    assert [f.name for f in found] == ["min_payment_streak"]
    assert found[0].reason == "paid only the minimum 3 statements running"
    rows[-1] = {"balance": 5000.0, "minimum": 500.0, "paid": 2500.0}  # broke the streak last month
    assert names(history(rows)) == []


def test_cash_advance_spike_and_payment_reversal():
    rows = [{"cash": 100.0}] * 5 + [{"cash": 2500.0, "reversals": 1}]
    found = {f.name: f.reason for f in flags(history(rows), AS_OF)}
    assert set(found) == {"cash_advance_spike", "payment_reversal"}
    assert found["cash_advance_spike"] == "cash advances 2,500.00 in 2026-10 (25% of the limit; 100.00 a month before)"
    assert found["payment_reversal"] == "1 payment(s) returned unpaid in the last 3 statements"


def test_an_account_in_an_episode_or_without_recent_statements_is_not_early_warning():
    rows = [{"balance": 10_750.0}] * 6
    running = EpisodeFact("e", date(2026, 10, 20), datetime.combine(date(2026, 10, 21), time(9), tzinfo=timezone.utc))
    assert flags(history(rows, episodes=(running,)), AS_OF) == []
    stale = History("A", history(rows).months[:3], timezone="UTC")  # last statement in July
    assert flags(stale, AS_OF) == []
    cured = EpisodeFact("e", date(2026, 9, 1), datetime(2026, 9, 2, tzinfo=timezone.utc),
                        datetime(2026, 9, 20, tzinfo=timezone.utc) + timedelta(hours=1), "cured")
    assert "over_limit" in names(history(rows, episodes=(cured,)))
