"""`arrears bureau|blacklist|legal` and GET /blacklist/{account} against a SQLite record written by the activities."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import httpx
from typer.testing import CliRunner

from activities.account_actions import AccountActionActivities
from arrears.compliance.gate_record import BASELINE
from arrears.contracts.account import (
    BlacklistCommand,
    BlacklistRemovalCommand,
    BureauNoticeCommand,
    LegalEventCommand,
    LegalReferralCommand,
)
from arrears.api.app import create_app
from arrears import PROJECT_ROOT
from arrears.cli.main import app
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from arrears.domain.blacklist import BlacklistPolicy
from arrears.domain.bureau import parse_file
from arrears.domain.legal import LegalEvent, LegalState
from arrears.audit.evidence_store import EvidenceStore, record
from arrears.config.settings import Settings
from tests.db.test_activities_idempotency import NOW, Env, account_row

runner = CliRunner()


@pytest.fixture
def env(migrated_sqlite):
    e = Env(migrated_sqlite)
    e.url = migrated_sqlite
    e.actions = AccountActionActivities(e.sessions, e.renderer, clock=lambda: NOW,
                                    policies=lambda _strategy: BASELINE)  # the worker's strategy, as runner passes it
    for account_id in ("K1", "K2"):
        e.add_account(account_row(account_id))
        e.open(account_id, f"ep-{account_id}")
    e.actions.list_on_blacklist(BlacklistCommand(episode_id="ep-K1", account_id="K1", reason="delinquency",
                                                 listed_from=date(2026, 6, 1), dpd=91, at=NOW,
                                                 blocks=("new_card", "limit_increase")))
    e.actions.list_on_blacklist(BlacklistCommand(episode_id="ep-K2", account_id="K2", reason="delinquency",
                                                 listed_from=date(2026, 6, 1), dpd=91, at=NOW, blocks=("limit_increase",)))
    e.actions.schedule_blacklist_removal(BlacklistRemovalCommand(
        episode_id="ep-K2", account_id="K2", cure_date=date(2026, 7, 1), at=NOW, policy=BlacklistPolicy(restoration_days=30)))
    yield e
    e.engine.dispose()


def cli(env, *args, columns="250"):
    return runner.invoke(app, ["--database-url", env.url, *args], env={"COLUMNS": columns})


def test_blacklist_check_exits_1_when_blocked_and_0_when_not(env):
    blocked = cli(env, "blacklist", "check", "K1", "--on", "2026-06-15")
    assert blocked.exit_code == 1
    assert "BLOCKED for new_card on 2026-06-15: delinquency, listed from 2026-06-01, with no end date yet" in blocked.output
    assert cli(env, "blacklist", "check", "K2", "--on", "2026-06-15").exit_code == 0  # K2 blocks limit increases only
    k2 = cli(env, "blacklist", "check", "K2", "--purpose", "limit_increase", "--on", "2026-07-30")
    assert k2.exit_code == 1 and "until 2026-07-31 (first day free)" in k2.output
    assert cli(env, "blacklist", "check", "K2", "--purpose", "limit_increase", "--on", "2026-07-31").exit_code == 0
    assert cli(env, "blacklist", "check", "NOBODY", "--on", "2026-07-31").exit_code == 0
    assert cli(env, "blacklist", "check", "K1", "--purpose", "mortgage").exit_code == 2


def test_blacklist_list_shows_entries_in_force(env):
    listed = cli(env, "blacklist", "list")  # today is long after K2's entry ended
    assert listed.exit_code == 0 and "K1" in listed.output and "K2" not in listed.output
    everything = cli(env, "blacklist", "list", "--all")
    assert "K2" in everything.output and "2026-07-31" in everything.output


def test_bureau_run_twice_and_reports(env, tmp_path):
    env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id="ep-K1", account_id="K1", step_id="notice", dpd=8, sent_at=NOW, currency="CNY",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=date(2026, 3, 1)))
    first = cli(env, "bureau", "run", "--period", "2026-04", "--out", str(tmp_path), "--institution", "BANK01")
    assert first.exit_code == 0, first.output
    assert "2026-04: 2 account(s), 1 withheld pending notice, 0 correction(s)" in first.output
    path = tmp_path / "BANK01_2026-04.txt"
    rows = {r.account_id: r for r in parse_file(path.read_text(encoding="utf-8")).rows}
    assert rows["K1"].status == "M2" and rows["K2"].withheld  # DPD 60 on 30 April
    again = cli(env, "bureau", "run", "--period", "2026-04", "--out", str(tmp_path))
    assert again.exit_code == 0 and "already reported" in " ".join(again.output.split())
    shown = cli(env, "bureau", "reports", "K2")
    assert "2026-04" in shown.output and "withheld pending notice: no prior notice sent" in " ".join(shown.output.split())
    bad = cli(env, "bureau", "run", "--period", "April", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_bureau_run_takes_the_strategys_notice_rule_and_names_a_bad_override(env, tmp_path):
    strategy = tmp_path / "strict.toml"
    text = (PROJECT_ROOT / "strategies" / "default.toml").read_text(encoding="utf-8")
    strategy.write_text(text.replace("negative_from_dpd = 31", "negative_from_dpd = 61"), encoding="utf-8")
    env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id="ep-K1", account_id="K1", step_id="notice", dpd=8, sent_at=NOW, currency="CNY",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=date(2026, 3, 1)))
    out = tmp_path / "out"
    ran = runner.invoke(app, ["--database-url", env.url, "bureau", "run", "--period", "2026-04", "--out", str(out)],
                        env={"COLUMNS": "250", "ARREARS_STRATEGY": str(strategy)})
    assert ran.exit_code == 0, ran.output
    rows = {r.account_id: r for r in parse_file((out / "ARREARS_2026-04.txt").read_text(encoding="utf-8")).rows}
    # DPD 60 on 30 April: M2 under the default rule, below this strategy's DPD 61 threshold.
    assert rows["K1"].status == "current" and not rows["K1"].withheld
    bad = cli(env, "bureau", "run", "--period", "2026-05", "--out", str(out), "--notice-days", "0")
    assert bad.exit_code == 2 and "notice_days" in bad.output
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("notice_days = 14", "notice_days = -1"), encoding="utf-8")
    refused = runner.invoke(app, ["--database-url", env.url, "bureau", "run", "--period", "2026-05", "--out", str(out)],
                            env={"COLUMNS": "250", "ARREARS_STRATEGY": str(broken)})
    assert refused.exit_code == 2 and "notice_days" in refused.output and "does not load" in refused.output
    # The month under way is not reported: the cycle would later find it reported and keep the early file.
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    early = cli(env, "bureau", "run", "--period", this_month, "--out", str(out))
    assert early.exit_code == 2 and "has not ended in every zone yet" in " ".join(early.output.split())
    assert not (out / f"ARREARS_{this_month}.txt").exists()


def test_legal_shows_the_case_and_its_events(env, tmp_path):
    assert cli(env, "legal", "K1").exit_code == 1
    env.actions.refer_to_legal(LegalReferralCommand(
        episode_id="ep-K1", account_id="K1", step_id="late-legal", dpd=150, referred_at=NOW,
        referred_on=date(2026, 7, 28), principal=Decimal("60000.00"), currency="CNY", allowed=True,
        reasons=["criteria cn-malicious-overdraft met"], criteria="cn-malicious-overdraft", costs_recoverable=True))
    store = EvidenceStore(tmp_path / "evidence", 1 << 20, ["application/pdf"])
    doc = record(env.sessions, "K1", store.put([b"%PDF-1.4 complaint"]), uploaded_by="lawyer-1", source="cli",
                 filename="complaint.pdf", now=NOW)
    env.actions.record_legal_event(LegalEventCommand(account_id="K1", episode_id="ep-K1", event=LegalEvent(
        event_id="e1", on=date(2026, 8, 3), by="lawyer-1", new_state=LegalState.FILED, cost=Decimal("1200.00"),
        document_id=doc.evidence_id)))
    shown = cli(env, "legal", "K1")
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0
    assert "case 1 (ep-K1): filed; referred 2026-07-28 at DPD 150" in text and "recoverable 1200" in text
    assert "2026-08-03" in text and "lawyer-1" in text and doc.evidence_id[:20] in text


async def test_blacklist_endpoint_needs_a_token_and_answers(env, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("collector_id,name,team,role,languages,regions,daily_capacity\nc1,Li Na,east,collector,zh-CN,,20\n"
                      "card-system,Card issuing,systems,manager,en,,1\n", encoding="utf-8")
    now = datetime.now(timezone.utc)
    import_roster(env.sessions, roster, now)
    token = issue_token(env.sessions, "card-system", now)  # other systems ask with a manager's token
    collector = issue_token(env.sessions, "c1", now)
    api = create_app(Settings(database_url=env.url, evidence_dir=tmp_path / "evidence"), client=object(),
                     sessions=env.sessions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://api") as http:
        await check_endpoint(http, token)
        # A collector sees only accounts with an open task of theirs: the same 404 as for an account that does not exist.
        mine = await http.get("/blacklist/K1", headers={"Authorization": f"Bearer {collector}"})
        nobody = await http.get("/blacklist/NOPE", headers={"Authorization": f"Bearer {token}"})
        assert mine.status_code == nobody.status_code == 404


async def check_endpoint(http: httpx.AsyncClient, token: str) -> None:
    assert (await http.get("/blacklist/K1")).status_code == 401
    assert (await http.get("/blacklist/K1", headers={"Authorization": "Bearer arr_forged"})).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    k1 = await http.get("/blacklist/K1", params={"on": "2026-06-15"}, headers=auth)
    assert k1.status_code == 200
    assert k1.json() == {"account_id": "K1", "purpose": "new_card", "on": "2026-06-15", "blocked": True,
                         "reason": "delinquency", "listed_from": "2026-06-01", "until": None}
    k2 = (await http.get("/blacklist/K2", params={"on": "2026-07-30", "purpose": "limit_increase"}, headers=auth)).json()
    assert (k2["blocked"], k2["until"]) == (True, "2026-07-31")
    assert (await http.get("/blacklist/K2", params={"on": "2026-07-30"}, headers=auth)).json()["blocked"] is False
    assert (await http.get("/blacklist/K1", params={"purpose": "mortgage"}, headers=auth)).status_code == 422
    assert "/blacklist/{account_id}" in (await http.get("/openapi.json")).json()["paths"]
