"""`arrears behaviour import`, `arrears sample --behaviour`, `arrears risk watchlist` and `score` on SQLite."""

from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.migrate import upgrade

HEADER = ("account_id,statement_month,credit_limit,statement_balance,minimum_due,amount_paid,cash_advance,"
          "over_limit_amount,months_on_book,payment_reversals")


def run(url: str, *args: str):
    return CliRunner().invoke(app, ["--database-url", url, *args], env={"COLUMNS": "220"})


def test_behaviour_import_prints_rejects_by_line_and_a_summary(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(url)
    path = tmp_path / "b.csv"
    path.write_text(f"{HEADER}\nA1,2026-10,5000,100,10,0,0,0,3,0\nA2,2026-10,5000,100,10,0,0,0,3\n", encoding="utf-8")
    done = run(url, "behaviour", "import", str(path))
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "line 3 -: expected 10 fields, found 9" in text
    assert "rejected rows written to" in text and (tmp_path / "b.csv.rejects.csv").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,month\n", encoding="utf-8")
    refused = run(url, "behaviour", "import", str(bad))
    assert refused.exit_code == 1 and "missing column(s): statement_month" in " ".join(refused.output.split())


def test_sample_writes_behaviour_in_each_accounts_currency(tmp_path):
    out, behaviour = tmp_path / "p.csv", tmp_path / "b.csv"
    done = CliRunner().invoke(app, ["sample", "--out", str(out), "-n", "6", "--behaviour", str(behaviour)])
    assert done.exit_code == 0, done.output
    lines = behaviour.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 6 * 12
    currencies = {line.split(",")[0]: line.split(",")[10] for line in lines[1:]}
    assert currencies["ACC000004"] == "USD" and currencies["ACC000001"] == "CNY"
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(url)
    imported = run(url, "behaviour", "import", str(behaviour))
    assert imported.exit_code == 0 and " 72 " in imported.output


def test_watchlist_and_scores_through_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(url)
    synth = run(url, "risk", "synthesize", "-n", "3000", "--observed-on", "2026-02-01",
                "--behaviour-out", str(tmp_path / "s.csv"))
    assert synth.exit_code == 0, synth.output
    assert "best achievable AUC" in synth.output
    listed = run(url, "risk", "watchlist", "--as-of", "2026-02-01", "--out", str(tmp_path / "w.csv"))
    assert listed.exit_code == 0, listed.output
    assert "no active delinquent_90d model: rules only" in " ".join(listed.output.split())
    rows = (tmp_path / "w.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "as_of,account_id,flags,score,reasons" and len(rows) > 50
    again = run(url, "risk", "watchlist", "--as-of", "2026-02-01")
    assert "0 new in the record; 0 limit review(s)" in " ".join(again.output.split())
    trained = run(url, "risk", "train", "--target", "delinquent_90d", "--window", "2026-02", "--label-end", "2026-06-01",
                  "--out", str(tmp_path / "models"), "--activate")
    assert trained.exit_code == 0, trained.output
    scored = run(url, "risk", "watchlist", "--as-of", "2026-02-01")
    assert "scored with delinquent_90d-" in " ".join(scored.output.split()) and "score" in scored.output
    model = next((tmp_path / "models").glob("*.json"))
    out = tmp_path / "scores.csv"
    done = run(url, "risk", "score", str(model), "--as-of", "2026-02-01", "--out", str(out))
    assert done.exit_code == 0, done.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "account_id,risk,segment,reasons" and len(lines) == 3001
    assert run(url, "risk", "activate", "nope", "--by", "x").exit_code == 1
    assert "--set: low, medium or high" in " ".join(run(url, "risk", "segment", "A", "--by", "s", "--reason", "r",
                                                          "--set", "huge").output.split())
