"""Quality reviews and complaints in the record, through the CLI, and through the desk API with the
complaint hold placed on a running episode and released on resolution."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from arrears.api.app import create_app
from arrears.cli.main import app
from arrears.db.models import Complaint, Hold, QualityReview
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from arrears.insight import feedback
from arrears.insight.scorecard import ComplaintPolicy, load_scorecard
from arrears.config.settings import PROJECT_ROOT
from tests.insight.records import Record, at
from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_desk_api import ROSTER, TZ, bearer, end_episode
from tests.workflow.test_lifecycle import _today

RUBRIC = load_scorecard(PROJECT_ROOT / "scorecards" / "default.toml").rubric
GOOD = {"communication": 4, "disclosures": 5, "problem_solving": 3, "courtesy": 5}
NOW = at(40)


def _record(url: str) -> tuple[Record, int, int]:
    rec = Record(url)
    rec.collector("c1")
    rec.collector("s1", role="supervisor")
    rec.agency("AG1")
    e = rec.episode("A1")
    worked = rec.work(e, "right_party_contact", by="c1", when=at(3, 10), seconds=200)
    placement = rec.place(e, "AG1", placed=at(5))
    return rec, worked, placement


def test_a_review_is_scored_on_the_rubric_and_refused_when_it_should_be(sqlite_url):
    rec, worked, placement = _record(sqlite_url)
    result = feedback.record_review(rec.sessions, RUBRIC, worked, "s1", GOOD, "clear and polite", NOW)
    # (30 x 3/4 + 30 x 4/4 + 25 x 2/4 + 15 x 4/4) / 100 on the 1..5 scale
    assert (result.score, result.subject, result.duplicate, result.worked_at) == (Decimal("80.00"), "collector c1", False, at(3, 10))
    again = feedback.record_review(rec.sessions, RUBRIC, worked, "s1", GOOD, "clear and polite", NOW)
    assert again.duplicate and again.review_id == result.review_id
    refusals = [
        (dict(task_id=worked, reviewer_id="s1", scores={**GOOD, "courtesy": 1}), "already reviewed this work with other scores"),
        (dict(task_id=worked, reviewer_id="s1", scores={"communication": 4}), "missing disclosures, problem_solving, courtesy"),
        (dict(task_id=worked, reviewer_id="s1", scores={**GOOD, "charm": 5}), "unknown rubric item(s) charm"),
        (dict(task_id=worked, reviewer_id="s1", scores={**GOOD, "courtesy": 6}), "courtesy: a whole number from 1 to 5"),
        (dict(task_id=worked, reviewer_id="c1", scores=GOOD), "c1 is a collector: only a supervisor or manager"),
        (dict(task_id=worked, reviewer_id="nobody", scores=GOOD), "reviewer nobody is not on the roster"),
        (dict(task_id=999, reviewer_id="s1", scores=GOOD), "no task 999"),
    ]
    for kwargs, message in refusals:
        with pytest.raises(feedback.FeedbackError, match=message.replace("(", r"\(").replace(")", r"\)")):
            feedback.record_review(rec.sessions, RUBRIC, comment="", now=NOW, **kwargs)
    open_task = rec.task(rec.episode("A2"), holder="c1", due=at(4))
    with pytest.raises(feedback.FeedbackError, match="has no recorded outcome"):
        feedback.record_review(rec.sessions, RUBRIC, open_task, "s1", GOOD, "", NOW)
    # A supervisor's own call is reviewed by someone else.
    own = rec.work(rec.episode("A3"), "no_answer", by="s1", when=at(6))
    with pytest.raises(feedback.FeedbackError, match="nobody reviews their own work") as caught:
        feedback.record_review(rec.sessions, RUBRIC, own, "s1", GOOD, "", NOW)
    assert caught.value.kind == "forbidden"
    agency = feedback.record_agency_review(rec.sessions, RUBRIC, placement, "REC-77", "s1",
                                           {k: 5 for k in GOOD}, "", NOW)
    assert (agency.subject, agency.score) == ("agency AG1", Decimal("100.00"))
    with rec.sessions() as s:
        rows = s.scalars(select(QualityReview).order_by(QualityReview.id)).all()
    assert [(r.collector_id, r.agency_id, r.rubric_name) for r in rows] == [("c1", None, "call-quality-v1"),
                                                                           (None, "AG1", "call-quality-v1")]
    rec.close()


def test_a_complaint_gets_its_deadline_and_is_judged_in_time_or_not(any_db_url):
    rec, worked, _ = _record(any_db_url)
    policy = ComplaintPolicy(deadline_days=15)
    kwargs = dict(account_id="A1", channel="call", category="conduct", recorded_by="s1", received_at=at(10))
    first = feedback.record_complaint(rec.sessions, policy, complaint_id="K1", task_id=worked, now=NOW, **kwargs)
    assert (first.collector_id, first.deadline_at, first.status, first.episode_open) == ("c1", at(25), "open", True)
    assert feedback.record_complaint(rec.sessions, policy, complaint_id="K1", task_id=worked, now=NOW, **kwargs).duplicate
    with pytest.raises(feedback.FeedbackError, match="already on record for A1 with other content"):
        feedback.record_complaint(rec.sessions, policy, complaint_id="K1", now=NOW, **{**kwargs, "category": "privacy"})
    for change, message in [({"channel": "fax"}, "channel must be one of"), ({"category": "rude"}, "category must be one of"),
                            ({"received_at": at(50)}, "is in the future"), ({"account_id": "NOPE"}, "no account NOPE")]:
        with pytest.raises(feedback.FeedbackError, match=message):
            feedback.record_complaint(rec.sessions, policy, complaint_id="K2", now=NOW, **{**kwargs, **change})
    late = feedback.resolve_complaint(rec.sessions, account_id="A1", complaint_id="K1", outcome="upheld",
                                      resolved_by="s1", note="apologised", now=at(26))
    assert (late.status, late.outcome, late.handled_in_time) == ("resolved", "upheld", False)
    feedback.record_complaint(rec.sessions, policy, complaint_id="K3", agency_id="AG1", now=NOW, **kwargs)
    in_time = feedback.resolve_complaint(rec.sessions, account_id="A1", complaint_id="K3", outcome="not_upheld",
                                         resolved_by="s1", note="", now=at(12))
    assert in_time.handled_in_time is True and in_time.agency_id == "AG1"
    with pytest.raises(feedback.FeedbackError, match="already resolved upheld"):
        feedback.resolve_complaint(rec.sessions, account_id="A1", complaint_id="K1", outcome="withdrawn",
                                   resolved_by="s1", note="", now=at(27))
    rec.close()


def test_reviews_and_complaints_through_the_cli(sqlite_url):
    rec, worked, _ = _record(sqlite_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--database-url", sqlite_url, *args], env={"COLUMNS": "200"})

    scores = [x for k, v in GOOD.items() for x in ("--score", f"{k}={v}")]
    done = run("desk", "review", str(worked), "--reviewer", "s1", *scores)
    assert done.exit_code == 0, done.output
    assert "task {}: collector c1 scored 80.00 / 100 by s1 (counts in 2026-03)".format(worked) in done.output
    bad = run("desk", "review", str(worked), "--reviewer", "s1", "--score", "communication=four")
    assert bad.exit_code == 1 and "'four' is not a whole number" in bad.output
    # No episode runs in this record's world (no Temporal): the complaint is recorded, and no hold.
    rec.episode("B1", outcome="cured", closed=at(2))
    made = run("desk", "complaint", "record", "B1", "--complaint-id", "K9", "--channel", "sms", "--category",
               "contact_hours", "--by", "s1", "--received-at", at(3).isoformat())
    assert made.exit_code == 0, made.output
    assert "complaint K9 on B1 (contact_hours, about nobody named)" in made.output and "no open episode" in made.output
    listed = run("desk", "complaint", "list")
    assert "K9" in listed.output and "contact_hours" in listed.output
    resolved = run("desk", "complaint", "resolve", "B1", "--complaint-id", "K9", "--outcome", "upheld", "--by", "s1")
    assert resolved.exit_code == 0 and "complaint K9 upheld, answered after its deadline" in resolved.output
    rec.close()


async def test_complaint_hold_and_review_through_the_desk_api(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await time_env.get_current_time()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    import_roster(sc.sessions, roster, now)
    tokens = {cid: bearer(issue_token(sc.sessions, cid, now)) for cid in ("c1", "c2", "sup")}
    app_ = create_app(sc.settings, client=time_env.client, sessions=sc.sessions)
    row = account_row("APICMP", await _today(time_env, TZ) - timedelta(days=2))
    async with sc.worker(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app_), base_url="http://desk") as http:
        handle = await sc.start(row, now=now)
        try:
            task = await sc.wait_for_task(time_env, "APICMP", "call")  # goes to c1
            body = {"complaint_id": "K1", "channel": "call", "category": "conduct", "description": "shouted at me",
                    "task_id": task.id}
            assert (await http.post("/accounts/APICMP/complaints", json=body, headers=tokens["c2"])).status_code == 404  # not the caller's account: as if it did not exist
            made = await http.post("/accounts/APICMP/complaints", json=body, headers=tokens["c1"])
            assert made.status_code == 200, made.text
            assert (made.json()["hold_id"], made.json()["collector_id"]) == ("complaint-K1", "c1")
            wrong = await http.post("/accounts/APICMP/complaints", json={**body, "complaint_id": "K2", "category": "x"},
                                    headers=tokens["c1"])
            assert wrong.status_code == 422 and "category must be one of" in wrong.json()["detail"]
            status = await handle.query("status")
            assert [h["hold_type"] for h in status["holds"] if h["status"] == "active"] == ["complaint"]
            # Reviews: only supervisors; work not yet done is refused.
            scores = {"scores": GOOD}
            assert (await http.post(f"/tasks/{task.id}/reviews", json=scores, headers=tokens["c2"])).status_code == 403
            early = await http.post(f"/tasks/{task.id}/reviews", json=scores, headers=tokens["sup"])
            assert early.status_code == 422 and "no recorded outcome" in early.json()["detail"]
            worked = await http.post("/accounts/APICMP/outcomes", json={"task_id": task.id, "outcome": "no_answer"},
                                     headers=tokens["c1"])
            assert worked.status_code == 200, worked.text
            reviewed = await http.post(f"/tasks/{task.id}/reviews", json=scores, headers=tokens["sup"])
            assert reviewed.status_code == 200 and reviewed.json()["score"] == "80.00"
            assert (await http.post("/tasks/999999/reviews", json=scores, headers=tokens["sup"])).status_code == 404
            # Resolving: supervisors only; the hold is released.
            path = "/accounts/APICMP/complaints/K1/resolve"
            assert (await http.post(path, json={"outcome": "upheld"}, headers=tokens["c1"])).status_code == 403
            done = await http.post(path, json={"outcome": "upheld", "note": "apologised"}, headers=tokens["sup"])
            assert done.status_code == 200, done.text
            assert (done.json()["status"], done.json()["handled_in_time"]) == ("resolved", True)
            assert done.json()["hold_note"] == "hold complaint-K1 released"
        finally:
            await end_episode(handle)
    with sc.sessions() as s:
        hold = s.scalars(select(Hold)).one()
        complaint = s.scalars(select(Complaint)).one()
    assert (hold.hold_id, hold.channel, hold.status, hold.resolution) == ("complaint-K1", "call", "released", "upheld")
    assert (complaint.description, complaint.hold_id) == ("shouted at me", "complaint-K1")
