"""`arrears collectors ...` and `arrears desk worklist|reassign|sweep` against a fresh SQLite database."""

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.models import Collector
from arrears.desk.tokens import authenticate
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd
from arrears.domain.strategy import Action

EXAMPLE = Path(__file__).parents[2] / "examples" / "roster.csv"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_roster_token_absence_worklist_and_reassign(tmp_path):
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    env = Env(url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--database-url", url, *args], env={"COLUMNS": "250"})

    bad = tmp_path / "bad.csv"
    bad.write_text(EXAMPLE.read_text() + "c-x,X,east,boss,zh-CN,,5\n", encoding="utf-8")
    imported = run("collectors", "import", str(bad))
    assert imported.exit_code == 0, imported.output
    assert "9 added" in imported.output and "line 11 (c-x): role" in _flat(imported.output)

    token = run("collectors", "token", "c-li")
    assert token.exit_code == 0
    issued = token.stdout.strip().splitlines()[0]
    with env.sessions() as s:
        assert authenticate(s, issued).collector_id == "c-li"

    env.add_account(account_row("ACC1"))
    env.open("ACC1")
    task_id = env.acts.execute_step(step_cmd("ACC1", "ep-ACC1", Action.CALL, "early-call")).record_id
    at = NOW.isoformat()
    listed = run("desk", "worklist", "c-li", "--at", at)
    assert listed.exit_code == 0 and f"{task_id} " in listed.output and "ACC1" in listed.output

    absent = run("collectors", "absent", "c-li")
    assert absent.exit_code == 0 and "reassigned 1" in _flat(absent.output)
    assert "0 task(s) for c-li" in run("desk", "worklist", "c-li", "--at", at).output
    refused = run("desk", "reassign", str(task_id), "--to", "c-li", "--by", "c-zhao", "--reason", "back")
    assert refused.exit_code == 1 and "not a supervisor" in _flat(refused.output)
    refused = run("desk", "reassign", str(task_id), "--to", "c-li", "--by", "s-wang", "--reason", "x")
    assert refused.exit_code == 1 and "absent" in _flat(refused.output)
    assert run("collectors", "back", "c-li").exit_code == 0
    moved = run("desk", "reassign", str(task_id), "--to", "c-li", "--by", "s-wang", "--reason", "knows the customer")
    assert moved.exit_code == 0 and "now with c-li" in moved.output
    swept = run("desk", "sweep", "--at", "2026-03-12T00:00:00+00:00")
    assert "escalated 1 past SLA" in _flat(swept.output)
    boss = run("desk", "worklist", "s-wang", "--at", "2026-03-12T00:00:00+00:00", "--json")
    assert '"queue": "supervisor"' in boss.output
    with env.sessions() as s:
        assert s.scalars(select(Collector.collector_id).where(Collector.absent)).all() == []
    env.engine.dispose()
