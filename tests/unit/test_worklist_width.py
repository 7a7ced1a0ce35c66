"""`arrears desk worklist` on an 80-column terminal: every account id and amount whole."""

import json
from decimal import Decimal

from rich.cells import cell_len
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.domain.strategy import Action
from tests.db.test_activities_idempotency import Env, account_row, step_cmd

# One team, so that every task escalates to the supervisor whose worklist the test reads.
ROSTER = (
    "collector_id,name,team,role,languages,regions,daily_capacity\n"
    "c-li,Li Na,east,collector,zh-CN,,30\n"
    "c-zhao,Zhao Lei,east,collector,zh-CN;en,,30\n"
    "s-wang,Wang Wei,east,supervisor,zh-CN;en,,10\n"
)
LATER = "2026-03-12T00:00:00+00:00"  # past every task's SLA: all of them wait in the supervisor's queue
ACCOUNTS = {
    "ACC000123": Decimal("1234.56"),
    "CARD-2026-0000012345": Decimal("1234567.89"),
    "DEMO000049": Decimal("6800.00"),
    "X.7_long-id-with-parts": Decimal("0.50"),
    "ACC000124": Decimal("99999999.99"),
}


def _worklist(url: str, *options: str, columns: int = 80):
    result = CliRunner().invoke(app, ["--database-url", url, "desk", "worklist", "s-wang", "--at", LATER, *options],
                                env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_worklist_at_80_columns_keeps_every_id_and_amount_whole(tmp_path):
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    env = Env(url)
    runner = CliRunner()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(app, ["--database-url", url, "collectors", "import", str(roster)]).exit_code == 0
    for account_id, amount in ACCOUNTS.items():
        env.add_account(account_row(account_id))
        episode = env.open(account_id)
        env.acts.execute_step(step_cmd(account_id, episode, Action.CALL, "early-call", overdue=amount))
    swept = runner.invoke(app, ["--database-url", url, "desk", "sweep", "--at", LATER])
    assert "escalated 5 past SLA" in " ".join(swept.output.split())

    text = _worklist(url)
    lines = text.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), "\n".join(line for line in lines if cell_len(line) > 80)
    assert "…" not in text
    for account_id, amount in ACCOUNTS.items():
        # Whole and on one line: the id and the amount with its currency on the task's row.
        assert any(account_id in line and f"{amount} CNY" in line for line in lines), (account_id, text)
    assert "5 task(s) for s-wang" in text
    # At 80 columns what does not fit is named, never squeezed: the customer's name is the first to go.
    assert "李伟" not in text and "not shown at 80 columns: customer" in " ".join(text.split())

    wide = _worklist(url, "--wide")
    for column in ("customer", "broken promises", "SLA due (UTC)", "queue"):
        assert column in wide
    assert "李伟" in wide and "supervisor" in wide and "not shown" not in wide

    roomy = _worklist(url, columns=200)
    assert "李伟" in roomy and "not shown" not in roomy

    entries = json.loads(_worklist(url, "--json"))
    assert {e["account_id"] for e in entries} == set(ACCOUNTS)
    assert {e["account_id"]: Decimal(e["overdue_amount"]) for e in entries} == ACCOUNTS
    assert all(e["customer_name"] == "李伟" and e["queue"] == "supervisor" for e in entries)
    env.engine.dispose()
