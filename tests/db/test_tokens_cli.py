"""`arrears collectors token|tokens|revoke|deactivate|activate|import --drop-missing`: the operator's side of access."""

from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.desk.assign import DeskError
from arrears.desk.tokens import check_token, parse_lifetime

ROSTER = ("collector_id,name,team,role,languages,regions,daily_capacity\n"
          "c1,Li Na,east,collector,zh-CN,,20\nc2,Zhao Lei,east,collector,zh-CN,,20\n")


@pytest.fixture
def cli(any_db_url, tmp_path):
    upgrade(any_db_url)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, **env: str):
        return runner.invoke(app, ["--database-url", any_db_url, *args], env={"COLUMNS": "250", **env})

    assert run("collectors", "import", str(roster)).exit_code == 0
    run.sessions = make_sessionmaker(make_engine(any_db_url))
    run.roster = roster
    return run


def check(run, token: str, at: datetime | None = None):
    with run.sessions.begin() as s:
        return check_token(s, token, at or datetime.now(timezone.utc)).refusal


def test_tokens_are_named_expire_and_are_revoked(cli):
    default = cli("collectors", "token", "c1")
    assert default.exit_code == 0 and "expires" in default.stderr
    week = cli("collectors", "token", "c1", "--name", "phone", "--expires", "7d")
    short = cli("collectors", "token", "c1", "--name", "kiosk", "--expires", "2h", ARREARS_TOKEN_DAYS="5")
    tokens = {name: r.stdout.strip() for name, r in (("default", default), ("phone", week), ("kiosk", short))}
    now = datetime.now(timezone.utc)
    assert all(check(cli, t) is None for t in tokens.values())
    assert check(cli, tokens["kiosk"], now + timedelta(hours=3)) == "token expired"
    assert check(cli, tokens["phone"], now + timedelta(days=6)) is None
    assert check(cli, tokens["phone"], now + timedelta(days=8)) == "token expired"
    assert check(cli, tokens["default"], now + timedelta(days=29)) is None  # ARREARS_TOKEN_DAYS, 30 by default

    listed = " ".join(cli("collectors", "tokens", "c1").output.split())
    assert all(name in listed for name in tokens) and listed.count("live") == 3 and "never" in listed

    again = cli("collectors", "token", "c1", "--name", "phone").stdout.strip()  # a name issued again replaces it
    assert check(cli, tokens["phone"]) == "token revoked" and check(cli, again) is None
    assert "revoked (replaced)" in " ".join(cli("collectors", "tokens", "c1").output.split())

    one = cli("collectors", "revoke", "c1", "--name", "kiosk")
    assert one.exit_code == 0 and "1 live token(s) revoked" in one.output
    assert check(cli, tokens["kiosk"]) == "token revoked" and check(cli, again) is None
    rest = cli("collectors", "revoke", "c1")
    assert "2 live token(s) revoked" in rest.output and check(cli, again) == "token revoked"

    assert cli("collectors", "token", "c1", "--expires", "2y").exit_code == 2
    assert cli("collectors", "token", "c1", "--expires", "400d").exit_code == 2
    assert cli("collectors", "token", "nobody").exit_code == 2
    assert cli("collectors", "revoke", "nobody").exit_code == 2


def test_a_collector_who_leaves_is_refused_at_once(cli):
    token = cli("collectors", "token", "c2").stdout.strip()
    gone = cli("collectors", "deactivate", "c2")
    assert gone.exit_code == 0 and "1 token(s) revoked" in gone.output
    assert check(cli, token) == "token revoked"
    assert cli("collectors", "token", "c2").exit_code == 2  # no token for an inactive collector
    assert cli("collectors", "activate", "c2").exit_code == 0
    assert check(cli, token) == "token revoked"  # coming back does not revive old tokens
    assert check(cli, cli("collectors", "token", "c2").stdout.strip()) is None


def test_a_complete_roster_drops_whoever_is_missing(cli, tmp_path):
    token = cli("collectors", "token", "c2").stdout.strip()
    only_c1 = tmp_path / "team.csv"
    only_c1.write_text(ROSTER.splitlines()[0] + "\n" + ROSTER.splitlines()[1] + "\n", encoding="utf-8")
    plain = cli("collectors", "import", str(only_c1))
    assert plain.exit_code == 0 and check(cli, token) is None  # without the flag nobody is dropped
    dropped = cli("collectors", "import", str(only_c1), "--drop-missing")
    assert dropped.exit_code == 0 and "made inactive" in dropped.output and "c2" in dropped.output
    assert check(cli, token) == "collector inactive"
    broken = tmp_path / "broken.csv"
    broken.write_text(ROSTER.splitlines()[0] + "\nc1,Li Na,east,boss,zh-CN,,20\n", encoding="utf-8")
    refused = cli("collectors", "import", str(broken), "--drop-missing")
    assert refused.exit_code == 1 and "nothing changed" in " ".join(refused.output.split())
    assert check(cli, cli("collectors", "token", "c1").stdout.strip()) is None


def test_lifetimes_read_as_operators_write_them():
    assert parse_lifetime("30d") == timedelta(days=30) and parse_lifetime(" 12h ") == timedelta(hours=12)
    assert parse_lifetime("2w") == timedelta(weeks=2)
    for bad in ("", "30", "d", "0h", "367d", "-1d", "1y"):
        with pytest.raises(DeskError):
            parse_lifetime(bad)
