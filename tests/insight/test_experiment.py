"""Champion/challenger: the strategy file's arms, stable hash assignment, recorded assignments,
promotion, and the comparison's statistics on simulated portfolios."""

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.db.models import Account, ContactAttempt, Episode, ExperimentAssignment, Payment
from arrears.domain.strategy import StrategyError
from arrears.config.strategies import load_strategy, parse_strategy
from arrears.insight import experiment as ex
from arrears.insight.experiment_report import experiment_report
from arrears.insight.stats import TOO_SMALL, compare_shares, wilson
from tests.insight.records import Record

HERE = Path(__file__).parent / "strategies"
NOW = datetime(2027, 1, 4, 9, tzinfo=timezone.utc)
D = Decimal


def test_the_strategy_file_declares_arms_and_each_arm_gets_its_ladder():
    strategy = load_strategy(HERE / "experiment.toml")
    arms = {a.name: a for a in strategy.experiment.arms}
    assert [(n, a.share) for n, a in arms.items()] == [("champion", 70), ("challenger-a", 20), ("challenger-b", 10)]
    assert arms["champion"].loaded.experiment is None and arms["champion"].loaded.name == "exp-champion"
    assert arms["challenger-a"].loaded.name == "exp-challenger-a"
    assert [s.dpd for s in arms["challenger-a"].loaded.steps] == [3, 5, 180]
    # The champion's episodes run this file's ladder; their hash is the file's without the experiment section.
    assert arms["champion"].loaded.content_hash() == strategy.without_experiment().content_hash()
    # The section is not sent to workflows and does not change the hash of strategies without one.
    assert "loaded" not in strategy.model_dump(mode="json")["experiment"]["arms"][1]


@pytest.mark.parametrize("change, message", [
    ({"arms": [{"name": "champion", "share": 70}, {"name": "challenger-a", "share": 20}]},
     "experiment: Value error, arm shares must add up to 100 (percent), got 90"),
    ({"arms": [{"name": "a", "share": 50}, {"name": "b", "share": 50}]}, "one arm must be named 'champion'"),
    ({"arms": [{"name": "champion", "share": 50}, {"name": "champion", "share": 50}]}, "champion used twice"),
    ({"arms": [{"name": "champion", "share": 100}]}, "experiment.arms: Tuple should have at least 2 items"),
    ({"arms": [{"name": "champion", "share": 99.999}, {"name": "x", "share": 0.001}]}, "experiment.arms[0].share"),
    ({"name": "Bad Name", "arms": [{"name": "champion", "share": 50}, {"name": "x", "share": 50}]}, "experiment.name"),
])
def test_a_bad_experiment_names_the_field(change, message):
    data = {"name": "s", "steps": [{"id": "co", "dpd": 180, "action": "charge_off"}],
            "experiment": {"name": "e1", **change}}
    with pytest.raises(StrategyError) as caught:
        parse_strategy(data)
    assert message.replace("Value error, ", "") in str(caught.value)


def test_a_missing_arm_file_is_named(tmp_path):
    text = (HERE / "experiment.toml").read_text().replace("challenger_a.toml", "nowhere.toml")
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(StrategyError, match=r"experiment.arms\[1\] \(name 'challenger-a'\).strategy: .*nowhere.toml: cannot read"):
        load_strategy(tmp_path / "s.toml")


def test_assignment_is_stable_and_matches_the_shares_over_10k_ids():
    shares = [("champion", D(70)), ("challenger-a", D(20)), ("challenger-b", D(10))]
    ids = [f"ACC{i:06d}" for i in range(10_000)]
    arms = [ex.choose_arm(shares, ex.hash_point("early-call-2027", i)) for i in ids]
    assert arms == [ex.choose_arm(shares, ex.hash_point("early-call-2027", i)) for i in ids]  # stable
    counts = Counter(arms)
    # Binomial standard deviation at 10k is at most 0.5 %: 1.5 points is three of them.
    for name, share in shares:
        assert abs(counts[name] / 10_000 - float(share) / 100) < 0.015, (name, counts)
    # Another experiment's name splits the same ids independently.
    other = [ex.choose_arm(shares, ex.hash_point("another", i)) for i in ids]
    assert sum(a == b for a, b in zip(arms, other)) / 10_000 < 0.6
    # A 0 % arm gets nothing; 100 % gets everything.
    assert {ex.choose_arm([("champion", D(0)), ("x", D(100))], ex.hash_point("e", i)) for i in ids[:500]} == {"x"}


def test_assignments_are_recorded_reused_and_follow_a_promotion(sqlite_url):
    rec = Record(sqlite_url)
    strategy = load_strategy(HERE / "experiment.toml")
    due = date(2026, 12, 20)
    first = {f"X{i}": ex.assign(rec.engine, f"X{i}", due, strategy, NOW) for i in range(300)}
    assert Counter(a.arm for a in first.values())["champion"] > 150
    champion = next(a for a in first.values() if a.arm == "champion")
    assert champion.strategy.name == "exp-champion" and champion.label == "early-call-2027:champion"
    assert champion.strategy.experiment is None
    # Promote challenger-a: decisions are recorded with who and why ...
    with rec.sessions() as s:
        decision = ex.promote(s, strategy.experiment, "challenger-a", "mgr-1", "cures 6 points more, CI excludes 0", NOW,
                              evidence={"cure_rate": "+0.06"})
    assert (decision.version, decision.shares["challenger-a"], decision.previous_shares["champion"]) == (1, "100", "70")
    # ... episodes already assigned keep their arm (a re-import finds the row) ...
    kept = next(k for k, v in first.items() if v.arm == "champion")
    again = ex.assign(rec.engine, kept, due, strategy, NOW)
    assert again.arm == "champion"
    # ... and new episodes follow the new traffic.
    later = [ex.assign(rec.engine, f"Y{i}", due, strategy, NOW) for i in range(50)]
    assert {a.arm for a in later} == {"challenger-a"}
    with rec.sessions() as s:
        assert s.query(ExperimentAssignment).filter_by(account_id="Y1").one().traffic_version == 1
        with pytest.raises(ex.ExperimentError, match="already champion 0 %, challenger-a 100 %"):
            ex.promote(s, strategy.experiment, "challenger-a", "mgr-1", "again", NOW)
        with pytest.raises(ex.ExperimentError, match="--reason"):
            ex.promote(s, strategy.experiment, "champion", "mgr-1", " ", NOW)
        with pytest.raises(ex.ExperimentError, match="add up to 100"):
            ex.promote(s, strategy.experiment, "champion", "mgr-1", "ramp", NOW, shares={"champion": D(60)})
        partial = ex.promote(s, strategy.experiment, "challenger-b", "mgr-1", "ramp up b", NOW,
                             shares={"challenger-b": D(50), "champion": D(50)})
    assert partial.shares == {"champion": "50", "challenger-a": "0", "challenger-b": "50"}
    rec.close()


def _simulate(rec: Record, name: str, cure: dict[str, float], n: int, seed: int, strategy_hash: str = "h" * 64) -> None:
    """n episodes per arm, each cured with the arm's probability; contacts and payments to match."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with rec.sessions.begin() as s:
        for arm, p in cure.items():
            for i in range(n):
                account = f"{name}-{arm}-{i}"
                cured = rng.random() < p
                s.add(Account(account_id=account, customer_name="T", phone="+86", email="", billing_address="x",
                              language="zh-CN", timezone="UTC", risk_segment="medium", currency="CNY",
                              created_at=start, updated_at=start))
                s.add(ExperimentAssignment(experiment=name, arm=arm, account_id=account, due_date=date(2026, 9, 20),
                                           point=0, traffic_version=0, strategy_name="s", strategy_hash=strategy_hash,
                                           assigned_at=start))
                episode = f"ep-{account}"
                closed = start + timedelta(days=rng.randint(5, 40)) if cured else None
                s.add(Episode(episode_id=episode, account_id=account, workflow_id=f"arrears-{account}", run_id="r",
                              started_at=start, due_date=date(2026, 9, 20), dpd_at_start=11, currency="CNY",
                              opening_overdue=D("1000"), opening_balance=D("2000"), risk_segment="medium",
                              strategy_name="s", strategy_hash=strategy_hash, outcome="cured" if cured else None,
                              closed_at=closed, closing_dpd=(closed.date() - date(2026, 9, 20)).days if closed else None))
                s.flush()
                for k in range(rng.randint(1, 4)):
                    s.add(ContactAttempt(idempotency_key=f"{episode}:{k}", episode_id=episode, account_id=account,
                                         step_id="sms", channel="sms", template="sms", language="zh-CN", recipient="x",
                                         rendered_text="t", dpd=11, stage="early", catch_up=False, scheduled_for=start,
                                         attempted_at=start, result="queued", adapter="outbox"))
                if cured:
                    s.add(Payment(account_id=account, payment_id="P", episode_id=episode, amount=D("1000"), currency="CNY",
                                  paid_at=closed, channel="bank", dpd=20, overdue_after=D(0), total_after=D(0),
                                  recorded_at=closed))


def _comparison(report, measure: str, arm: str):
    return next(r for r in report.table("comparisons").records() if r["measure"] == measure and r["arm"] == arm)


def test_a_challenger_that_truly_cures_more_is_reported_better(any_db_url):
    rec = Record(any_db_url)
    _simulate(rec, "exp1", {"champion": 0.30, "challenger-a": 0.42}, n=800, seed=11)
    with rec.sessions() as s:
        report = experiment_report(s, "exp1", None, date(2026, 12, 31), currency="CNY")
    cure = _comparison(report, "cure rate", "challenger-a")
    assert cure["verdict"] == "challenger-a better"
    assert cure["low"] > 0 and cure["high"] > cure["low"] and cure["p_value"] < D("0.001")
    assert D("0.06") < cure["difference"] < D("0.18")
    # More cures and the same payment per cure: more recovered per episode, also significant.
    assert _comparison(report, "recovered per episode", "challenger-a")["verdict"] == "challenger-a better"
    arms = {r["arm"]: r for r in report.table("arms").records()}
    assert arms["champion"]["episodes"] == arms["challenger-a"]["episodes"] == 800
    assert arms["champion"]["cure_low"] < arms["champion"]["cure_rate"] < arms["champion"]["cure_high"]
    assert report.charts[0].kind == "intervals"
    rec.close()


def test_an_a_a_split_is_reported_not_different_and_a_small_one_too_small(sqlite_url):
    rec = Record(sqlite_url)
    _simulate(rec, "aa", {"champion": 0.35, "challenger-a": 0.35}, n=1000, seed=5)
    _simulate(rec, "tiny", {"champion": 0.2, "challenger-a": 0.6}, n=12, seed=6)
    with rec.sessions() as s:
        aa = experiment_report(s, "aa", None, date(2026, 12, 31))
        tiny = experiment_report(s, "tiny", None, date(2026, 12, 31))
    for measure in ("cure rate", "roll forward", "recovered per episode", "contacts per cure"):
        row = _comparison(aa, measure, "challenger-a")
        assert row["verdict"] == "not different", (measure, row)
        assert row["low"] < 0 < row["high"]
    assert _comparison(tiny, "cure rate", "challenger-a")["verdict"] == TOO_SMALL
    assert any("sample too small to decide" in n for n in tiny.notes)
    rec.close()


def test_wilson_and_the_exact_test_for_small_counts():
    est = wilson(0, 10)
    assert est.value == 0 and est.low == 0 and 0.27 < est.high < 0.28  # the textbook 0/10 upper bound, 0.2775
    small = compare_shares("cure rate", "b", 9, 10, "a", 0, 10)
    assert small.test.startswith("Fisher") and small.p_value < 0.01 and small.verdict == TOO_SMALL
