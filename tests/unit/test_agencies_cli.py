"""`arrears agencies import` and `list` against a fresh SQLite database."""

from pathlib import Path

from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.db.migrate import upgrade

EXAMPLE = Path(__file__).parents[2] / "examples" / "agencies.csv"


def test_import_reports_bad_rows_and_list_shows_load_against_capacity(tmp_path):
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    upgrade(url)
    runner = CliRunner()
    done = runner.invoke(app, ["--database-url", url, "agencies", "import", str(EXAMPLE)])
    assert done.exit_code == 0, done.output
    bad = tmp_path / "bad.csv"
    bad.write_text("agency_id,name,commission_percent,capacity,placement_days\n"
                   "AG-NORTH,Northern Recovery Partners,15,200,30\nAG-EAST,East,12.5,0,45\n"
                   "AG-METRO,Metro Credit Services,18,60,30\n", encoding="utf-8")
    again = runner.invoke(app, ["--database-url", url, "agencies", "import", str(bad)])
    assert again.exit_code == 0
    assert "line 3 AG-EAST: capacity: Input should be greater than or equal to 1" in " ".join(again.output.split())
    listed = runner.invoke(app, ["--database-url", url, "agencies", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    lines = {line.split()[1]: line for line in listed.output.splitlines() if "AG-" in line}
    assert "0 / 120" in lines["AG-EAST"] and "active" in lines["AG-EAST"], "a rejected row keeps the agency as it was"
    assert "0 / 200" in lines["AG-NORTH"] and "0 / 60" in lines["AG-METRO"]


def test_a_bad_header_stops_the_file_with_the_column_named(tmp_path):
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    upgrade(url)
    bad = tmp_path / "bad.csv"
    bad.write_text("agency_id,name,rate,capacity,placement_days\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--database-url", url, "agencies", "import", str(bad)])
    assert result.exit_code == 1
    assert "missing column(s): commission_percent; unknown column(s): rate" in " ".join(result.output.split())
