"""Calls and visits gated when they are worked, on SQLite and PostgreSQL (issue 22 item 3).

The ladder opens a task; whether the collector may dial is decided at the dial. A start the gate
forbids is refused with the rule (and the refusal is on record); one it allows records the dial time
and the number dialled; a call entered after the fact is kept and flagged with the rule it broke.
A conversation closes or defers the account's other open calls for the quiet period; a callback
request is prior consent to that call.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from arrears.audit.record_check import audit
from arrears.contracts.collection import OutcomeInput
from arrears.contracts.collection_activities import OutcomeCommand
from arrears.db.models import Collector, CollectorContact, CollectorTask, Consent, ContactDecision, OutboxMessage
from arrears.desk.assign import DeskError
from arrears.desk.calls import StartRefused, check, start
from arrears.desk.worklist import worklist
from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy import Action
from arrears.config.strategies import load_preset
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd

REGF = ContactPolicy.model_validate(load_preset("us-regf"))
NY = ZoneInfo("America/New_York")
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=NY)


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    yield e
    e.engine.dispose()


def us_account(env, account_id: str) -> str:
    row = account_row(account_id, language="en", currency="USD").model_copy(
        update={"timezone": "America/New_York", "phone": "+1 212 555 0100"})
    env.add_account(row)
    episode = env.open(account_id)
    # The validation notice went out: nothing in these tests waits for it.
    notice = step_cmd(account_id, episode, Action.LETTER, "validation-notice", template="letter_validation_notice")
    notice = notice.model_copy(update={"compliance": REGF, "executed_at": MONDAY_10 - timedelta(days=3),
                                       "step": notice.step.model_copy(update={"key": "validation-notice"})})
    assert env.acts.execute_step(notice).kind == "contact"
    return episode


def call_task(env, account_id: str, episode: str, step_id: str, at: datetime) -> int:
    cmd = step_cmd(account_id, episode, Action.CALL, step_id).model_copy(update={"compliance": REGF, "executed_at": at})
    result = env.acts.execute_step(cmd)
    assert result.kind == "task", result
    return result.record_id


def outcome(env, account_id, episode, task_id, what, recorded_at, **kw) -> None:
    o = OutcomeInput(task_id=task_id, outcome=what, collector_id="c-1", **kw)
    assert env.acts.record_outcome(OutcomeCommand(episode_id=episode, account_id=account_id, outcome=o,
                                                  recorded_at=recorded_at))


def test_a_call_is_gated_when_dialled_not_when_opened(env):
    episode = us_account(env, "D1")
    task = call_task(env, "D1", episode, "call-1", MONDAY_10)
    night = MONDAY_10.replace(hour=22)
    with env.sessions() as s:
        t = s.get(CollectorTask, task)
        now_ok, later = check(s, t, MONDAY_10), check(s, t, night)
    assert now_ok.allowed and (later.allowed, later.rule) == (False, "contact_window")
    assert later.next_allowed_at == MONDAY_10.replace(day=10, hour=8)
    with pytest.raises(StartRefused, match="contact_window"):
        start(env.sessions, env.acts.adapter, task, "c-1", night, night)
    with env.sessions() as s:  # the refusal is on record, nothing was dialled
        assert s.scalar(select(ContactDecision).where(ContactDecision.idempotency_key.like(f"task-{task}:start@%"))).rule == "contact_window"
        assert s.scalar(select(CollectorContact)) is None
    contact = start(env.sessions, env.acts.adapter, task, "c-1", MONDAY_10, MONDAY_10)
    assert (contact.entered, contact.dialled, contact.violation_rule) == ("live", "+1 212 555 0100", None)
    assert contact.started_at == MONDAY_10
    again = start(env.sessions, env.acts.adapter, task, "c-1", MONDAY_10 + timedelta(minutes=1), MONDAY_10)
    assert again.id == contact.id  # a second start of the same task is the first
    with env.sessions() as s:
        dial = s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "call"))
        assert dial.payload["to"] == "+1 212 555 0100" and dial.payload["decision_id"] == contact.decision_id


def test_a_call_entered_after_the_fact_is_kept_and_flagged(env):
    episode = us_account(env, "D2")
    task = call_task(env, "D2", episode, "call-1", MONDAY_10)
    night = MONDAY_10.replace(hour=22, minute=40)
    later = MONDAY_10 + timedelta(days=1)
    contact = start(env.sessions, env.acts.adapter, task, "c-1", night, later)
    assert (contact.entered, contact.violation_rule) == ("after_the_fact", "contact_window")
    outcome(env, "D2", episode, task, "no_answer", later)
    with env.sessions() as s:
        report = audit(s, REGF)
    assert [(v.account_id, v.rule) for v in report.violations] == [("D2", "contact_window")]
    assert report.flagged_at_entry == 1


def test_an_outcome_without_a_start_is_judged_at_the_dial_time_given_or_its_own(env):
    episode = us_account(env, "D3")
    first = call_task(env, "D3", episode, "call-1", MONDAY_10)
    second = call_task(env, "D3", episode, "call-2", MONDAY_10 + timedelta(hours=1))
    # Logged at 22:10 without a start: the outcome's time (less the call) is the best the record knows.
    outcome(env, "D3", episode, first, "no_answer", MONDAY_10.replace(hour=22, minute=10), duration_seconds=60)
    # Logged late, with the dial time given: judged at 14:00, within hours.
    outcome(env, "D3", episode, second, "no_answer", MONDAY_10.replace(hour=23), started_at=MONDAY_10.replace(hour=14))
    with env.sessions() as s:
        rows = {c.task_id: c for c in s.scalars(select(CollectorContact))}
    assert (rows[first].entered, rows[first].violation_rule) == ("from_outcome", "contact_window")
    assert rows[first].started_at == MONDAY_10.replace(hour=22, minute=9)
    assert (rows[second].entered, rows[second].violation_rule) == ("after_the_fact", None)


def test_a_right_party_contact_defers_one_open_call_and_closes_the_rest(env):
    episode = us_account(env, "D4")
    talked = call_task(env, "D4", episode, "call-1", MONDAY_10)
    others = [call_task(env, "D4", episode, f"call-{n}", MONDAY_10 + timedelta(hours=n)) for n in (2, 3)]
    start(env.sessions, env.acts.adapter, talked, "c-1", MONDAY_10, MONDAY_10)
    outcome(env, "D4", episode, talked, "right_party_contact", MONDAY_10 + timedelta(minutes=10))
    with env.sessions() as s:
        tasks = {t.id: t for t in s.scalars(select(CollectorTask).where(CollectorTask.id.in_(others)))}
        # 1006.14(b)(2)(i)(B): Monday is day one of seven; the next call on the following Monday.
        assert tasks[others[0]].status == "open" and tasks[others[0]].due_at == datetime(2026, 3, 16, tzinfo=NY)
        assert tasks[others[0]].note.startswith("DEFERRED")
        assert tasks[others[1]].status == "closed" and tasks[others[1]].note.startswith("CLOSED")
        assert not check(s, tasks[others[0]], MONDAY_10 + timedelta(days=3)).allowed


def test_a_callback_request_is_prior_consent_to_that_call(env):
    episode = us_account(env, "D5")
    task = call_task(env, "D5", episode, "call-1", MONDAY_10)
    start(env.sessions, env.acts.adapter, task, "c-1", MONDAY_10, MONDAY_10)
    thursday = MONDAY_10 + timedelta(days=3, hours=6)  # 16:00 Thursday: inside the quiet period
    outcome(env, "D5", episode, task, "callback_requested", MONDAY_10 + timedelta(minutes=5), callback_at=thursday)
    with env.sessions() as s:
        consent = s.scalar(select(Consent).where(Consent.account_id == "D5"))
        assert (consent.status, consent.valid_from) == ("consented", thursday)
    callback = call_task(env, "D5", episode, "callback-requested", thursday)  # the workflow opens it then
    with env.sessions() as s:
        t = s.get(CollectorTask, callback)
        assert check(s, t, thursday).allowed
        assert check(s, t, thursday + timedelta(days=1)).rule == "after_conversation"  # Friday was not asked for


def test_the_worklist_says_whether_each_task_may_be_worked_now(env):
    episode = us_account(env, "D6")
    task = call_task(env, "D6", episode, "call-1", MONDAY_10)
    with env.sessions.begin() as s:
        s.add(Collector(collector_id="c-1", name="Ann", team="t", role="collector", languages=["en"], regions=[],
                        daily_capacity=10, updated_at=NOW))
        s.flush()
        s.get(CollectorTask, task).assigned_to = "c-1"
    with env.sessions() as s:
        entries = worklist(s, "c-1", MONDAY_10)
        late = worklist(s, "c-1", MONDAY_10.replace(hour=21, minute=30))
    assert [(e.task_id, e.allowed_now, e.rule) for e in entries] == [(task, True, "permitted")]
    assert (late[0].allowed_now, late[0].rule, late[0].callable_now) == (False, "contact_window", False)
    assert late[0].next_allowed_at == datetime(2026, 3, 10, 8, tzinfo=NY)


def test_a_call_cannot_start_in_the_future_or_on_a_closed_task(env):
    episode = us_account(env, "D7")
    task = call_task(env, "D7", episode, "call-1", MONDAY_10)
    with pytest.raises(DeskError, match="future"):
        start(env.sessions, env.acts.adapter, task, "c-1", MONDAY_10 + timedelta(hours=2), MONDAY_10)
    with env.sessions.begin() as s:
        s.get(CollectorTask, task).status = "closed"
    with pytest.raises(DeskError, match="closed"):
        start(env.sessions, env.acts.adapter, task, "c-1", MONDAY_10, MONDAY_10)


async def test_the_api_says_allowed_now_starts_calls_and_refuses_with_the_rule(env):
    import httpx  # noqa: PLC0415

    from arrears.api.app import create_app  # noqa: PLC0415
    from arrears.compliance.consent_record import record_consent  # noqa: PLC0415
    from arrears.db.models import Episode  # noqa: PLC0415
    from arrears.desk.tokens import issue_token  # noqa: PLC0415
    from arrears.config.settings import Settings  # noqa: PLC0415

    real = datetime.now(ZoneInfo("UTC"))
    tasks = {}
    for account_id in ("API1", "API2"):
        episode = us_account(env, account_id)
        tasks[account_id] = call_task(env, account_id, episode, "call-1", MONDAY_10)
        with env.sessions.begin() as s:  # a simulation's clock (ten collection days a real day): Monday 10:00 now
            e = s.get(Episode, episode)
            e.clock_anchor_real, e.clock_anchor_virtual, e.day_seconds = real, MONDAY_10, 8_640.0
    with env.sessions.begin() as s:
        s.add(Collector(collector_id="c-1", name="Ann", team="t", role="collector", languages=["en"], regions=[],
                        daily_capacity=10, updated_at=NOW))
        s.add(Collector(collector_id="c-2", name="Bo", team="t", role="collector", languages=["en"], regions=[],
                        daily_capacity=10, updated_at=NOW))
        s.flush()
        for task_id in tasks.values():
            s.get(CollectorTask, task_id).assigned_to = "c-1"
        record_consent(s, "API2", "call", "opted_out", "said: stop calling me", MONDAY_10 - timedelta(hours=1),
                       medium=True)
    # Tokens expire: issued now (the wall clock the API checks them against), not at the scenario's date.
    token, other = issue_token(env.sessions, "c-1", real), issue_token(env.sessions, "c-2", real)
    auth = {"Authorization": f"Bearer {token}"}
    api = create_app(Settings(database_url=str(env.engine.url)), client=object(), sessions=env.sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://api") as http:
        gate = (await http.get(f"/tasks/{tasks['API1']}/gate", headers=auth)).json()
        assert (gate["allowed"], gate["rule"]) == (True, "permitted")
        listed = {e["task_id"]: e for e in (await http.get("/worklist", headers=auth)).json()}
        assert listed[tasks["API1"]]["allowed_now"] and (listed[tasks["API2"]]["rule"]) == "opt_out"
        forbidden = await http.post(f"/tasks/{tasks['API1']}/start", json={}, headers={"Authorization": f"Bearer {other}"})
        assert forbidden.status_code == 404  # another's task: as if it did not exist (the desk's scope rule)
        refused = await http.post(f"/tasks/{tasks['API2']}/start", json={}, headers=auth)
        assert refused.status_code == 409 and "opt_out" in refused.json()["detail"]
        started = (await http.post(f"/tasks/{tasks['API1']}/start", json={}, headers=auth)).json()
        assert (started["entered"], started["violation_rule"]) == ("live", None)
        # Stamped with the episode's clock (issue 22 item 7), not the wall clock.
        assert abs(datetime.fromisoformat(started["started_at"]) - MONDAY_10) < timedelta(minutes=10)
