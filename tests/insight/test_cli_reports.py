"""The report commands' options that the other tests do not reach: the compliance check's findings
charged to collectors, and `arrears strategy promote` with the report it leaves behind."""

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.models import ExperimentDecision
from arrears.insight.queries import month_period
from arrears.insight.scorecard_report import compliance_findings
from tests.insight.records import Record, at
from tests.insight.test_experiment import _simulate

STRATEGY = Path(__file__).parent / "strategies" / "experiment.toml"


def _run(url: str, *args: str):
    return CliRunner().invoke(app, ["--database-url", url, *args], env={"COLUMNS": "250"})


def test_compliance_findings_are_charged_to_the_calls_holder(sqlite_url):
    rec = Record(sqlite_url)
    rec.collector("c1")
    rec.collector("c2")
    e = rec.episode("A1")  # the account's zone is UTC
    rec.work(e, "no_answer", by="c1", when=at(3, 22, 30))  # 22:30: outside 08:00-21:00
    rec.work(e, "no_answer", by="c2", when=at(4, 10))
    with rec.sessions() as s:
        found = compliance_findings(s, month_period("2026-03", "UTC"), None)
    assert set(found) == {"c1"}  # the 22:30 call (the +86 phone adds Shanghai's 06:30 too); c2's 10:00 call is fine
    rec.close()
    done = _run(sqlite_url, "report", "scorecard", "--month", "2026-03", "--compliance-check")
    assert done.exit_code == 0, done.output
    assert "compliance findings were not checked" not in done.output
    bad = _run(sqlite_url, "report", "scorecard", "--month", "2026-3x")
    assert bad.exit_code == 2 and "month: give it as YYYY-MM" in bad.output


def test_promote_records_the_decision_with_its_evidence(sqlite_url):
    rec = Record(sqlite_url)
    _simulate(rec, "early-call-2027", {"champion": 0.3, "challenger-a": 0.45}, n=300, seed=9)
    rec.close()
    refused = _run(sqlite_url, "strategy", "promote", str(STRATEGY), "--arm", "challenger-z", "--by", "m1", "--reason", "x")
    assert refused.exit_code == 1 and "has no arm 'challenger-z'" in refused.output
    done = _run(sqlite_url, "strategy", "promote", str(STRATEGY), "--arm", "challenger-a", "--by", "mgr-1",
                "--reason", "cures more", "--share", "challenger-a=60", "--share", "champion=40")
    assert done.exit_code == 0, done.output
    assert ("early-call-2027: decision 1 by mgr-1: champion 70 %, challenger-a 20 %, challenger-b 10 % -> "
            "champion 40 %, challenger-a 60 %, challenger-b 0 %") in " ".join(done.output.split())
    rec = Record(sqlite_url, migrate=False)
    with rec.sessions() as s:
        decision = s.query(ExperimentDecision).one()
    verdicts = {v["measure"]: v["verdict"] for v in decision.evidence["verdicts"]}
    assert verdicts["cure rate"] == "challenger-a better"
    report = _run(sqlite_url, "report", "experiment", "early-call-2027", "--strategy", str(STRATEGY),
                  "--as-of", date(2026, 12, 31).isoformat())
    assert report.exit_code == 0, report.output
    assert "traffic decisions" in report.output and "cures more" in report.output
    rec.close()
