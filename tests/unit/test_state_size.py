"""What an episode carries stays small: it is the workflow's memory in every cached run and the
input of every continue-as-new.

Measured (2026-12-01): 8.1 KB of JSON for a new high-risk episode on the production strategy
(43 steps still to run); 10.4 KB after the life below, a payment every month and the ledger
posted every day (23 posting keys, 6 payments). The bounds leave room, not a factor of ten.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from arrears import PROJECT_ROOT
from arrears.domain import transitions as t
from arrears.domain.clock import EpisodeClock
from arrears.domain.strategy import Segment
from arrears.config.strategies import load_strategy

TZ = "Asia/Shanghai"
DUE = date(2026, 3, 1)
NEW_EPISODE_BYTES = 10_000
LIFE_BYTES = 16_000


def _terms() -> t.Terms:
    return t.Terms(account_id="A1", currency="CNY", timezone=TZ, due_date=DUE, opening_overdue=Decimal("1234.56"),
                   opening_balance=Decimal("8000.00"), strategy=load_strategy(PROJECT_ROOT / "strategies" / "default.toml"))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), ZoneInfo(TZ))


def _new(terms: t.Terms):
    now = _at(DUE + timedelta(days=1))
    clock = EpisodeClock(anchor_real=now, anchor_virtual=now)
    return t.start(terms, "A1:2026-03-01", clock, Segment.HIGH, now)


def test_a_new_episode_is_a_few_kilobytes():
    ep = _new(_terms())
    assert len(ep.ladder) >= 30  # the production ladder, not an empty one that would pass trivially
    assert len(ep.model_dump_json()) <= NEW_EPISODE_BYTES


def test_a_half_year_of_daily_postings_and_monthly_payments_stays_bounded():
    terms = _terms()
    ep = _new(terms)
    for day in range(1, 181):
        now = _at(DUE + timedelta(days=day))
        if day % 30 == 15:
            t.apply_payment(ep, terms, f"P-{day}", Decimal("50.00"), now, "bank_transfer", now)
        t.sync_ledger(ep, terms, now)
    assert len(ep.payments) == 6 and len(ep.posted_keys) > 20  # the life did grow the state
    size = len(ep.model_dump_json())
    assert size <= LIFE_BYTES, f"{size} bytes after 180 days"
