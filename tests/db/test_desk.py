"""The collector desk in the system of record, on SQLite and PostgreSQL alike:
roster import, assignment by eligibility and load, SLA escalation, absence,
manual reassignment, worklists, tokens, and concurrent assigners."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.db.models import ApiToken, Collector, CollectorTask, TaskAssignment
from arrears.desk.assign import DeskError, reassign_task, set_absent, sweep
from arrears.desk.roster import RosterFileError, import_roster
from arrears.desk.tokens import authenticate, issue_token
from arrears.desk.worklist import worklist
from arrears.domain.strategy import Action
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd

HEADER = "collector_id,name,team,role,languages,regions,daily_capacity\n"


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    yield e
    e.engine.dispose()


def roster(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def load(env: Env, tmp_path: Path, body: str):
    return import_roster(env.sessions, roster(tmp_path, body), NOW)


def account(env: Env, account_id: str, language: str = "zh-CN", region: str | None = "SH-PD") -> str:
    row = account_row(account_id, language=language).model_copy(update={"region": region})
    env.add_account(row)
    return env.open(account_id)


def open_task(env: Env, account_id: str, action: Action = Action.CALL, step: str = "early-call", dpd: int = 8,
              overdue: str = "1234.56", stage: str = "early") -> CollectorTask:
    episode = f"ep-{account_id}"
    result = env.acts.execute_step(step_cmd(account_id, episode, action, step, dpd=dpd, overdue=Decimal(overdue), stage=stage))
    with env.sessions() as s:
        return s.get(CollectorTask, result.record_id)


def owners(env: Env) -> Counter:
    with env.sessions() as s:
        return Counter(s.scalars(select(CollectorTask.assigned_to).where(CollectorTask.status == "open")))


# ---- roster ------------------------------------------------------------------------


def test_roster_import_loads_good_rows_and_reports_bad_ones_by_line(env, tmp_path):
    summary = load(
        env, tmp_path,
        "c1,Li Na,east,collector,zh-CN;en,SH-PD,40\n"
        "c2,Bad Role,east,boss,zh-CN,,40\n"
        "c3,No Lang,east,collector,,,40\n"
        "c4,Klingon,east,collector,tlh,,40\n"
        "c1,Again,east,collector,zh-CN,,40\n"
        "s1,Wang Wei,east,supervisor,zh-CN,,10\n",
    )
    assert summary.added == ["c1", "s1"]
    by_line = {r.line: r.reason for r in summary.rejected}
    assert set(by_line) == {3, 4, 5, 6}
    assert "role" in by_line[3]
    assert "languages" in by_line[4]
    assert "tlh" in by_line[5]
    assert "repeats line 2" in by_line[6]
    with env.sessions() as s:
        c1 = s.get(Collector, "c1")
        assert (c1.languages, c1.regions, c1.daily_capacity) == (["zh-CN", "en"], ["SH-PD"], 40)
    again = load(env, tmp_path, "c1,Li Na,east,collector,zh-CN,,25\n")
    assert again.updated == ["c1"] and again.added == []
    with env.sessions() as s:
        assert s.get(Collector, "c1").daily_capacity == 25


def test_roster_with_wrong_header_names_the_columns(env, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("collector_id,name,team,role,langs,daily_capacity\n", encoding="utf-8")
    with pytest.raises(RosterFileError, match="missing column\\(s\\): languages, regions; unknown column\\(s\\): langs"):
        import_roster(env.sessions, path, NOW)


# ---- assignment ---------------------------------------------------------------------


def test_tasks_go_to_eligible_collectors_only(env, tmp_path):
    load(
        env, tmp_path,
        "zh,Li Na,east,collector,zh-CN,,10\n"
        "en,Ann Lee,east,collector,en,,10\n"
        "field,Zhao Lei,east,collector,zh-CN,SH-PD;SH-JA,10\n"
        "senior,Wang Wei,east,supervisor,zh-CN,,10\n",
    )
    account(env, "A-EN", language="en")
    assert open_task(env, "A-EN").assigned_to == "en"
    account(env, "A-VISIT", region="SH-JA")
    visit = open_task(env, "A-VISIT", Action.VISIT, "field-visit", dpd=91, stage="late")
    assert visit.assigned_to == "field"
    account(env, "A-FAR", region="BJ-CY")
    far = open_task(env, "A-FAR", Action.VISIT, "field-visit", dpd=91, stage="late")
    assert far.assigned_to is None  # nobody visits Beijing: it waits, recorded
    account(env, "A-BIG")
    big = open_task(env, "A-BIG", overdue="80000.00")
    assert (big.required_role, big.assigned_to) == ("supervisor", "senior")
    with env.sessions() as s:
        history = s.scalars(select(TaskAssignment).where(TaskAssignment.task_id == far.id)).all()
        assert [(h.reason, h.collector_id) for h in history] == [("waiting", None)]
        assert "no collector" in history[0].detail


def test_load_is_balanced_within_one_and_capacity_is_respected(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,5\nb,B,t,collector,zh-CN,,5\nc,C,t,collector,zh-CN,,5\n")
    for i in range(17):
        account(env, f"A{i:02d}")
        open_task(env, f"A{i:02d}")
    counts = owners(env)
    assert counts[None] == 2  # 15 places, 17 tasks: two wait
    assert [counts[c] for c in "abc"] == [5, 5, 5]
    # After 7 tasks the spread is 3/2/2, never 4/2/1.
    with env.sessions() as s:
        first_seven = s.scalars(select(CollectorTask.assigned_to).order_by(CollectorTask.id).limit(7)).all()
    assert sorted(Counter(first_seven).values()) == [2, 2, 3]
    assert first_seven[:3] == ["a", "b", "c"]  # ties go to the collector id: deterministic


def test_load_is_relative_to_capacity(env, tmp_path):
    load(env, tmp_path, "big,Big,t,collector,zh-CN,,20\nsmall,Small,t,collector,zh-CN,,5\n")
    for i in range(10):
        account(env, f"A{i}")
        open_task(env, f"A{i}")
    counts = owners(env)
    assert counts["big"] == 8 and counts["small"] == 2


def test_waiting_tasks_are_placed_when_the_roster_grows(env, tmp_path):
    for i in range(3):
        account(env, f"A{i}")
        open_task(env, f"A{i}")
    assert owners(env)[None] == 3
    load(env, tmp_path, "a,A,t,collector,zh-CN,,10\n")
    summary = sweep(env.sessions, NOW)
    assert (summary.assigned, summary.waiting) == (3, 0)
    assert owners(env)["a"] == 3


# ---- SLA, absence, manual reassignment ----------------------------------------------


def test_a_task_past_its_sla_goes_to_the_team_supervisor_queue(env, tmp_path):
    load(env, tmp_path, "a,A,east,collector,zh-CN,,10\nboss,B,east,supervisor,zh-CN,,10\nother,O,west,supervisor,zh-CN,,10\n")
    account(env, "A1")
    task = open_task(env, "A1")
    assert task.assigned_to == "a" and task.sla_due_at == NOW + timedelta(hours=24)
    assert sweep(env.sessions, NOW + timedelta(hours=23)).escalated == 0
    assert sweep(env.sessions, NOW + timedelta(hours=25)).escalated == 1
    with env.sessions() as s:
        t = s.get(CollectorTask, task.id)
        assert (t.queue, t.assigned_to, t.team) == ("supervisor", None, "east")
        last = s.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task.id).order_by(TaskAssignment.id)).all()[-1]
        assert (last.reason, last.previous_collector_id) == ("sla_breached", "a")
        assert worklist(s, "boss", NOW + timedelta(hours=25))[0].task_id == task.id
        assert worklist(s, "other", NOW + timedelta(hours=25)) == []  # another team's supervisor
        assert worklist(s, "a", NOW + timedelta(hours=25)) == []
    assert sweep(env.sessions, NOW + timedelta(hours=30)).escalated == 0  # once


def test_an_absent_collectors_tasks_are_reassigned_at_once(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,10\nb,B,t,collector,zh-CN,,10\nc,C,t,collector,en,,10\n")
    for i in range(4):
        account(env, f"A{i}")
        open_task(env, f"A{i}")
    assert owners(env) == Counter({"a": 2, "b": 2})
    summary = set_absent(env.sessions, "a", True, NOW)
    assert summary.reassigned == 2
    assert owners(env) == Counter({"b": 4})  # c speaks no Chinese
    account(env, "A9")
    assert open_task(env, "A9").assigned_to == "b"  # no new work for the absent
    set_absent(env.sessions, "a", False, NOW)
    account(env, "A10")
    assert open_task(env, "A10").assigned_to == "a"
    with pytest.raises(DeskError, match="no collector 'zz'"):
        set_absent(env.sessions, "zz", True, NOW)


def test_supervisor_reassigns_to_an_eligible_collector_only(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,10\nb,B,t,collector,zh-CN,,10\nc,C,t,collector,en,,10\n")
    account(env, "A1")
    task = open_task(env, "A1")
    moved = reassign_task(env.sessions, task.id, "b" if task.assigned_to == "a" else "a", "boss", "customer asked for a woman", NOW)
    assert moved.assigned_to != task.assigned_to
    with pytest.raises(DeskError, match="does not speak zh-CN"):
        reassign_task(env.sessions, task.id, "c", "boss", "try", NOW)
    with pytest.raises(DeskError, match="reason"):
        reassign_task(env.sessions, task.id, "a", "boss", " ", NOW)


# ---- worklist and tokens ------------------------------------------------------------


def test_worklist_orders_by_stage_then_amount(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,50\n")
    specs = [("E-small", "early", "100.00"), ("M-small", "mid", "100.00"), ("E-big", "early", "9000.00"), ("M-big", "mid", "500.00")]
    for account_id, stage, amount in specs:
        account(env, account_id)
        open_task(env, account_id, stage=stage, overdue=amount)
    with env.sessions() as s:
        order = [e.account_id for e in worklist(s, "a", NOW)]
        assert order == ["M-big", "M-small", "E-big", "E-small"]
        entry = worklist(s, "a", NOW)[0]
        assert entry.customer_local_time == "10:00" and entry.callable_now  # 02:00 UTC in Shanghai
        assert worklist(s, "a", NOW - timedelta(days=1)) == []  # not due yet that day


def test_tokens_are_stored_hashed_and_replaced_on_reissue(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,50\n")
    first = issue_token(env.sessions, "a", NOW)
    with env.sessions() as s:
        stored = s.scalars(select(ApiToken.token_hash).where(ApiToken.collector_id == "a")).one()
        assert first not in stored and len(stored) == 64
        assert authenticate(s, first, NOW).collector_id == "a"
    second = issue_token(env.sessions, "a", NOW)
    with env.sessions() as s:
        assert authenticate(s, first, NOW) is None
        assert authenticate(s, second, NOW).collector_id == "a"
        assert authenticate(s, "", NOW) is None


# ---- concurrency -----------------------------------------------------------------------


def _run_together(*targets) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            barrier.wait()
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_two_concurrent_sweeps_never_give_a_task_twice(env, tmp_path):
    for i in range(60):
        account(env, f"A{i:02d}")
        open_task(env, f"A{i:02d}")
    load(env, tmp_path, "a,A,t,collector,zh-CN,,100\nb,B,t,collector,zh-CN,,100\nc,C,t,collector,zh-CN,,100\n")
    _run_together(lambda: sweep(env.sessions, NOW), lambda: sweep(env.sessions, NOW))
    assert owners(env) == Counter({"a": 20, "b": 20, "c": 20})
    with env.sessions() as s:
        per_task = Counter(s.scalars(select(TaskAssignment.task_id).where(TaskAssignment.reason == "assigned")))
    assert len(per_task) == 60 and set(per_task.values()) == {1}


def test_concurrent_task_creation_keeps_load_even(env, tmp_path):
    load(env, tmp_path, "a,A,t,collector,zh-CN,,100\nb,B,t,collector,zh-CN,,100\nc,C,t,collector,zh-CN,,100\n")
    accounts = [f"A{i:03d}" for i in range(120)]
    for account_id in accounts:
        account(env, account_id)

    def create(start: int):
        return lambda: [open_task(env, a) for a in accounts[start::4]]

    _run_together(*(create(k) for k in range(4)))
    assert owners(env) == Counter({"a": 40, "b": 40, "c": 40})
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TaskAssignment)) == 120
