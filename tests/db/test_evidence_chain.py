"""Contact records chained by hash, on SQLite and PostgreSQL: an edited or deleted record is found and named."""

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.models import ContactAttempt
from arrears.domain.strategy import Action
from arrears.audit.evidence_chain import verify_chain
from tests.db.test_activities_idempotency import Env, account_row, step_cmd


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.add_account(account_row("CH1"))
    e.open("CH1")
    e.add_account(account_row("CH2"))
    e.open("CH2")
    for n, account in enumerate(["CH1", "CH2", "CH1", "CH1"]):
        e.acts.execute_step(step_cmd(account, f"ep-{account}", Action.SMS, f"sms-{n}", template="sms_early"))
    yield e
    e.engine.dispose()


def ids(env: Env, account: str) -> list[int]:
    return [r.id for r in env.rows(ContactAttempt) if r.account_id == account]


def test_an_intact_chain_verifies_and_links_per_account(env):
    with env.sessions() as s:
        report = verify_chain(s, "CH1")
    assert report.ok and report.checked == 3
    rows = [r for r in env.rows(ContactAttempt) if r.account_id == "CH1"]
    assert rows[0].prev_hash is None and rows[1].prev_hash == rows[0].chain_hash and rows[2].prev_hash == rows[1].chain_hash


def test_an_edited_record_is_named(env):
    edited = ids(env, "CH1")[1]
    with env.sessions.begin() as s:
        s.execute(update(ContactAttempt).where(ContactAttempt.id == edited).values(rendered_text="we never said that"))
    with env.sessions() as s:
        report = verify_chain(s, "CH1")
        assert verify_chain(s, "CH2").ok  # another account's chain is untouched
    assert len(report.problems) == 1 and f"contact {edited} " in report.problems[0] and "edited" in report.problems[0]


def test_a_deleted_record_breaks_the_next_link(env, any_db_url):
    first, middle, last = ids(env, "CH1")
    with env.sessions.begin() as s:
        s.execute(delete(ContactAttempt).where(ContactAttempt.id == middle))
    with env.sessions() as s:
        report = verify_chain(s, "CH1")
    assert len(report.problems) == 1 and f"contact {last} " in report.problems[0] and "deleted" in report.problems[0]
    result = CliRunner().invoke(app, ["--database-url", any_db_url, "audit", "verify-chain", "CH1"])
    assert result.exit_code == 1 and "deleted" in result.output
    assert CliRunner().invoke(app, ["--database-url", any_db_url, "audit", "verify-chain", "CH2"]).exit_code == 0
