"""The history archive in the system of record: stored once, checked on read, purged
only past its retention period (SQLite and PostgreSQL)."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from typer.testing import CliRunner

from arrears.audit.archive import ArchiveCorrupt, archived, archived_rows, purge, store
from arrears.cli.main import app
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade

GOLDEN = Path(__file__).parents[1] / "histories"


def _history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"arrears-{name}", (GOLDEN / f"{name}.json").read_text())


@pytest.fixture
def sessions(any_db_url):
    upgrade(any_db_url)
    engine = make_engine(any_db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_a_run_is_stored_once_and_read_back_exactly(sessions):
    history = _history("promise_kept")
    ended = history.events[-1].event_time.ToDatetime(tzinfo=timezone.utc)
    first = store(sessions, [history], account_id="PTPKEPT", episode_id="e1", now=ended)
    again = store(sessions, [history], account_id="PTPKEPT", episode_id="e1", now=ended)
    assert len(first) == 1 and again == []
    with sessions() as s:
        [row] = archived_rows(s, account_id="PTPKEPT")
        [back] = archived(s, workflow_id=history.workflow_id)
    assert row.events == len(history.events) and row.close_event == "completed" and len(row.content) < row.json_bytes
    assert list(back.events) == list(history.events) and back.workflow_id == history.workflow_id


def test_an_edited_archive_row_is_named_when_read(sessions):
    history = _history("operator_close")
    store(sessions, [history], account_id="OPCLOSE", episode_id="e2", now=history.events[-1].event_time.ToDatetime(tzinfo=timezone.utc))
    with sessions() as s:
        assert archived(s, account_id="OPCLOSE")
    with sessions.begin() as s:
        row = archived_rows(s, account_id="OPCLOSE")[0]
        row.sha256 = "f" * 64
    with sessions() as s, pytest.raises(ArchiveCorrupt, match="changed after archiving"):
        archived(s, account_id="OPCLOSE")


def test_purge_removes_only_what_is_past_retention_and_says_what(sessions, any_db_url, monkeypatch):
    old, recent = _history("never_pays_charged_off"), _history("cured_by_payment_dpd40")
    store(sessions, [old], account_id="OLD", episode_id="e3", now=old.events[-1].event_time.ToDatetime(tzinfo=timezone.utc))
    store(sessions, [recent], account_id="NEW", episode_id="e4", now=recent.events[-1].event_time.ToDatetime(tzinfo=timezone.utc))
    with sessions.begin() as s:
        row = archived_rows(s, account_id="OLD")[0]
        row.closed_at = row.closed_at - timedelta(days=4 * 365)
        now = archived_rows(s, account_id="NEW")[0].closed_at + timedelta(days=1)
    assert [p.workflow_id for p in purge(sessions, now, retention_days=3 * 365, dry_run=True)] == [old.workflow_id]
    with sessions() as s:
        assert len(archived_rows(s)) == 2  # a dry run removes nothing
    gone = purge(sessions, now, retention_days=3 * 365)
    assert [p.workflow_id for p in gone] == [old.workflow_id]
    with sessions() as s:
        assert [r.account_id for r in archived_rows(s)] == ["NEW"]
    assert purge(sessions, now, retention_days=3 * 365) == []

    with sessions.begin() as s:  # the CLI purges as of today
        archived_rows(s, account_id="NEW")[0].closed_at = datetime.now(timezone.utc) - timedelta(days=2)
    monkeypatch.setenv("ARREARS_ARCHIVE_RETENTION_DAYS", "1")
    result = CliRunner().invoke(app, ["--database-url", any_db_url, "archive", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would remove  {recent.workflow_id}" in result.output and "closed more than 1 days ago" in result.output
