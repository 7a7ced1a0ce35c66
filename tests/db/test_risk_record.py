"""The risk data layer on SQLite and PostgreSQL: behaviour import, histories and labels from the record,
the model registry, segment changes, the watch list and rescoring events."""

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from arrears.contracts.collection_activities import SegmentChangeCommand
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.db.models import Account, AccountBehaviour, Episode, OutboxMessage, RescoreEvent, RiskModel, RiskSegmentChange, WatchlistEntry
from arrears.domain.strategy import Segment
from arrears.config.strategies import load_strategy
from arrears.risk.behaviour_import import BehaviourFileError, import_behaviour
from arrears.risk.dataset import build_labelled_set
from arrears.risk.features import features
from arrears.risk.history import load_histories
from arrears.risk.registry import RegistryError, activate, active_model, register
from arrears.risk.rescore import TriggerEvent, current_segments, mark_handled, record_change
from arrears.risk.synthetic import generate
from arrears.risk.synthetic_write import write_behaviour_csv, write_record
from arrears.risk.training import train
from arrears.risk.watchlist import compute, save
from tests.conftest import DEFAULT_STRATEGY

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
OBSERVED = date(2026, 3, 1)
HEADER = ("account_id,statement_month,credit_limit,statement_balance,minimum_due,amount_paid,cash_advance,"
          "over_limit_amount,months_on_book,payment_reversals")


@pytest.fixture
def db(any_db_url):
    upgrade(any_db_url)
    engine = make_engine(any_db_url)
    yield engine, make_sessionmaker(engine)
    engine.dispose()


def test_behaviour_import_reports_bad_rows_by_line_and_keeps_the_good(db, tmp_path):
    engine, sessions = db
    path = tmp_path / "behaviour.csv"
    path.write_text("\n".join([
        HEADER,
        "C1,2026-09,10000,4200.50,420.05,1000,0,0,30,0",
        "C1,2026-10,10000,10500.00,1050.00,420.05,2000,500.00,31,1",
        "C2,2026-10-01,5000,100,10,0,0,0,2,0",
        "C2,2026-10,5000,100,10,0,0,0,2,0",  # the same month again
        "C3,2026/10,5000,100,10,0,0,0,2,0",
        "C4,2026-10,0,100,10,0,0,0,2,0",
        "C5,2026-10,5000,100,10,0,0,200,2,0",
        "C6,2026-10,5000,100.123456,10,0,0,0,2,0",
        "C7,2026-10,5000,100,10,-5,0,0,2,0",
        "C8,2026-10,5000,100,10,0,0,0,2",
    ]) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    summary = import_behaviour(engine, path, NOW, rejects)
    reasons = {r.line: r.reason for r in summary.rejected}
    assert (summary.rows, summary.added, summary.replaced, summary.rejected_total) == (10, 3, 0, 7)
    assert reasons[5] == "2026-10 repeats this account's month (first on line 4)"
    assert "statement_month: give the month as YYYY-MM" in reasons[6]
    assert "credit_limit must be positive" in reasons[7]
    assert "over_limit_amount (200) exceeds the statement balance (100)" in reasons[8]
    assert "statement_balance: at most 4 decimal places" in reasons[9]
    assert "amount_paid must not be negative" in reasons[10]
    assert reasons[11] == "expected 10 fields, found 9"
    assert rejects.read_text(encoding="utf-8").count("\n") == 8  # header and seven rows
    with sessions() as s:
        row = s.scalars(select(AccountBehaviour).where(AccountBehaviour.account_id == "C1",
                                                       AccountBehaviour.statement_month == date(2026, 10, 1))).one()
        assert (row.over_limit_amount, row.payment_reversals, row.cash_advance) == (Decimal("500.00"), 1, Decimal("2000"))
    # A corrected statement replaces its month; nothing is duplicated.
    path.write_text(HEADER + "\nC1,2026-10,10000,10400.00,1040.00,420.05,2000,400.00,31,1\n", encoding="utf-8")
    again = import_behaviour(engine, path, NOW)
    assert (again.added, again.replaced) == (0, 1)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AccountBehaviour)) == 3
        assert s.scalar(select(AccountBehaviour.over_limit_amount).where(
            AccountBehaviour.account_id == "C1", AccountBehaviour.statement_month == date(2026, 10, 1))) == Decimal("400.00")


def test_behaviour_jsonl_reads_exact_decimals_and_a_bad_header_stops_the_file(db, tmp_path):
    engine, sessions = db
    path = tmp_path / "b.jsonl"
    path.write_text('{"account_id":"J1","statement_month":"2026-10","credit_limit":5000,"statement_balance":123.45,'
                    '"minimum_due":100,"amount_paid":0.1,"cash_advance":0,"over_limit_amount":0,"months_on_book":3,'
                    '"payment_reversals":0,"currency":"CNY","payment_due_date":"2026-11-25"}\n'
                    '{"account_id":"J2","statement_month":"2026-10","nickname":"x"}\n', encoding="utf-8")
    summary = import_behaviour(engine, path, NOW)
    assert summary.added == 1 and summary.rejected[0].reason == "unknown field(s): nickname"
    with sessions() as s:
        assert s.scalar(select(AccountBehaviour.amount_paid)) == Decimal("0.1")
    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,statement_month,limit\n", encoding="utf-8")
    with pytest.raises(BehaviourFileError, match="missing column\\(s\\): credit_limit.*unknown column\\(s\\): limit"):
        import_behaviour(engine, bad, NOW)


def test_the_record_gives_back_the_generators_histories_features_and_labels(db, tmp_path):
    engine, _ = db
    population = generate(400, OBSERVED, seed=5)
    path = tmp_path / "b.csv"
    write_behaviour_csv(path, population)
    assert import_behaviour(engine, path, NOW).rejected_total == 0
    write_record(engine, population, NOW)
    histories = load_histories(engine, [a.account_id for a in population.accounts], since=OBSERVED)
    for account in population.accounts:
        mine, theirs = features(account.history(), OBSERVED), features(histories[account.account_id], OBSERVED)
        assert mine.keys() == theirs.keys()
        for name in mine:
            a, b = mine[name], theirs[name]
            assert (a is None and b is None) or math.isclose(a, b, abs_tol=1e-9), (account.account_id, name, a, b)
    for target in ("delinquent_90d", "roll_forward_60d"):
        data = build_labelled_set(engine, target, [OBSERVED], population.label_end)
        truth = {a.account_id: a.label for a in population.of_target(target)}
        assert dict(zip(data.accounts, data.labels.tolist())) == truth


def test_models_are_registered_by_hash_and_rolled_back_by_activating_another(db, tmp_path):
    engine, sessions = db
    population = generate(1500, OBSERVED, seed=6)
    write_record(engine, population, NOW, behaviour=True)
    data = build_labelled_set(engine, "delinquent_90d", [OBSERVED], population.label_end)
    first = train(data, (OBSERVED, OBSERVED), NOW)
    second = train(data, (OBSERVED, OBSERVED), NOW + timedelta(days=1), shares=(60, 25, 15))
    assert first.version != second.version
    with sessions.begin() as s:
        assert register(s, first, NOW).created and register(s, second, NOW).created
        assert not register(s, first, NOW).created, "the same content is registered once"
        activate(s, first.version, "ana", NOW)
    with sessions.begin() as s:
        assert active_model(s, "delinquent_90d").version == first.version
        activate(s, second.content_hash(), "ana", NOW)  # by hash
    with sessions.begin() as s:
        assert active_model(s, "delinquent_90d").version == second.version
        activate(s, first.version, "bo", NOW)  # rollback
    with sessions() as s:
        assert active_model(s, "delinquent_90d").thresholds == first.thresholds
        assert s.scalar(select(func.count()).where(RiskModel.active.is_(True))) == 1
        with pytest.raises(RegistryError, match="no registered model 'nope'"):
            activate(s, "nope", "x", NOW)
    with sessions.begin() as s:  # a row changed behind the system's back is caught when read
        row = s.scalars(select(RiskModel).where(RiskModel.version == first.version)).one()
        row.content = {**row.content, "intercept": row.content["intercept"] + 1}
    with sessions() as s, pytest.raises(RegistryError, match="no longer matches its hash"):
        active_model(s, "delinquent_90d")


def _episode(sessions, account_id: str = "R1") -> tuple[str, str]:
    """An account with a running episode, as the collection workflow's open_episode writes them."""
    with sessions.begin() as s:
        s.add(Account(account_id=account_id, customer_name="测试", phone="+86 138 0000 0000", email="",
                      billing_address="上海", language="zh-CN", timezone="Asia/Shanghai", risk_segment="medium",
                      currency="CNY", created_at=NOW, updated_at=NOW))
        s.flush()
        s.add(Episode(episode_id=f"ep-{account_id}", account_id=account_id, workflow_id=f"arrears-{account_id}",
                      run_id="run", started_at=NOW, due_date=date(2026, 11, 10), dpd_at_start=20, currency="CNY",
                      opening_overdue=Decimal("1000"), opening_balance=Decimal("5000"), risk_segment="medium",
                      strategy_name="default", strategy_hash="0" * 64))
    return f"ep-{account_id}", account_id


def test_segment_changes_are_recorded_once_and_override_holds_until_released(db):
    engine, sessions = db
    episode_id, account_id = _episode(sessions)

    def cmd(request_id, segment, previous, **kw):
        base = dict(episode_id=episode_id, account_id=account_id, request_id=request_id, segment=segment,
                    previous=previous, source="model", model_version="roll_forward_60d-abc", reasons=["dpd_now=20 (+0.4)"],
                    set_by="risk-rescore", changed=segment != previous, dpd=20, at=NOW)
        return SegmentChangeCommand(**{**base, **kw})

    assert record_change(sessions, cmd("r1", Segment.HIGH, Segment.MEDIUM))
    assert not record_change(sessions, cmd("r1", Segment.HIGH, Segment.MEDIUM)), "a retry writes nothing"
    with sessions() as s:
        assert s.get(Episode, episode_id).risk_model_version == "roll_forward_60d-abc"
        assert current_segments(s, {episode_id: "medium"}) == {episode_id: ("high", False)}
    record_change(sessions, cmd("sup-1", Segment.MEDIUM, Segment.HIGH, source="supervisor", model_version=None,
                                set_by="sup-2", override=True))
    record_change(sessions, cmd("r2", Segment.MEDIUM, Segment.MEDIUM, overridden=True, changed=False))
    with sessions() as s:
        assert current_segments(s, {episode_id: "medium"}) == {episode_id: ("medium", True)}
        assert s.get(Episode, episode_id).risk_model_version is None, "a person set the segment"
    record_change(sessions, cmd("sup-2", Segment.MEDIUM, Segment.MEDIUM, source="supervisor", model_version=None,
                                set_by="sup-2", release_override=True, changed=False))
    with sessions() as s:
        assert current_segments(s, {episode_id: "medium"}) == {episode_id: ("medium", False)}
        assert s.scalar(select(func.count()).select_from(RiskSegmentChange)) == 4


def test_the_watch_list_is_kept_once_per_day_with_limit_reviews(db, tmp_path):
    engine, sessions = db
    path = tmp_path / "b.csv"
    rows = [HEADER]
    for i, m in enumerate(("2026-06", "2026-07", "2026-08", "2026-09", "2026-10")):
        rows.append(f"OVER,{m},10000,{9000 + i * 400:.2f},{900 + i * 40:.2f},{900 + (i - 1) * 40:.2f},0,"
                    f"{max(0, 9000 + i * 400 - 10000):.2f},40,0")
        rows.append(f"FINE,{m},10000,2000.00,200.00,2000.00,0,0,40,0")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_behaviour(engine, path, NOW)
    as_of = date(2026, 11, 1)
    strategy = load_strategy(DEFAULT_STRATEGY)
    listed = compute(engine, sessions, as_of)
    assert [e.account_id for e in listed.entries] == ["OVER"] and listed.checked == 2
    save(sessions, listed, NOW, strategy)
    assert (listed.written, listed.limit_reviews) == (1, 1)
    again = compute(engine, sessions, as_of)
    save(sessions, again, NOW, strategy)
    assert (again.written, again.limit_reviews) == (0, 0)
    with sessions() as s:
        entry = s.scalars(select(WatchlistEntry)).one()
        assert "over_limit" in entry.flags and "min_payment_streak" in entry.flags
        review = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "card")).one()
        assert review.payload["type"] == "limit_review" and review.payload["account_id"] == "OVER"


def test_rescore_events_are_noted_once(db):
    engine, sessions = db
    episode_id, account_id = _episode(sessions)
    events = [TriggerEvent(f"promise:{account_id}:P1:broken", account_id, episode_id, "broken_promise")]
    mark_handled(sessions, events, NOW)
    mark_handled(sessions, events, NOW)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RescoreEvent)) == 1
