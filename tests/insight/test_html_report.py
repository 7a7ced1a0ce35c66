"""The HTML reports open in headless Chromium (Debian's /usr/bin/chromium) with the network blocked,
and every chart renders: an <svg> with drawn paths and a size on screen, and no console error.

The screenshot of the portfolio report in docs/ is written by this test (ARREARS_UPDATE_DOCS=1
rewrites it; otherwise it is written once, when missing)."""

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears import PROJECT_ROOT
from arrears.cli.main import app
from tests.insight.records import Record
from tests.insight.test_experiment import _simulate
from tests.insight.test_measures import _month
from tests.insight.test_portfolio import _portfolio

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS_SHOT = PROJECT_ROOT / "docs" / "img" / "report-portfolio.png"


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """Every report kind written by the CLI as HTML (and CSV and JSON) from hand-built records."""
    out = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{out / 'r.db'}"
    rec = Record(url)
    _portfolio(rec)
    _month(rec)
    _simulate(rec, "early-call-2027", {"champion": 0.3, "challenger-a": 0.4}, n=200, seed=3)
    rec.close()
    runner = CliRunner()
    commands = {
        "portfolio": ["report", "portfolio", "--from", "2026-01", "--to", "2026-03", "--currency", "CNY"],
        "scorecard": ["report", "scorecard", "--month", "2026-03"],
        "agencies": ["report", "agencies", "--month", "2026-03"],
        "experiment": ["report", "experiment", "early-call-2027", "--as-of", "2026-12-31"],
    }
    written = {}
    for name, args in commands.items():
        html, csv, js = out / f"{name}.html", out / f"{name}.csv", out / f"{name}.json"
        result = runner.invoke(app, ["--database-url", url, *args, "--html", str(html), "--csv", str(csv), "--json", str(js)],
                               env={"COLUMNS": "200", "ARREARS_SCORECARD": str(PROJECT_ROOT / "scorecards" / "default.toml")})
        assert result.exit_code == 0, result.output
        assert f"html: {html}" in result.output and js.exists()
        written[name] = html
    return written


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup installs it)")
@pytest.mark.parametrize("name, charts", [
    ("portfolio", {"roll_heatmap", "cure_curves", "recovery_curves", "steps"}),
    ("scorecard", {"scores", "attainment"}),
    ("experiment", {"arms"}),
])
def test_the_html_report_renders_its_charts_offline(pages, name, charts, tmp_path):
    from playwright.sync_api import sync_playwright

    page_file = pages[name]
    text = page_file.read_text(encoding="utf-8")
    # Nothing to run and nothing to fetch: no script, no stylesheet or image from elsewhere.
    for needle in ("<script", "<link", 'src="http', 'href="http', "url(http", "@import"):
        assert needle not in text, needle
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_offline(True)

        def block(route):
            requests.append(route.request.url)
            (route.continue_() if route.request.url.startswith("file:") else route.abort())

        context.route("**/*", block)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        found = page.eval_on_selector_all("figure[data-chart]", """figs => figs.map(f => {
            const svg = f.querySelector('svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {key: f.dataset.chart, width: box.width, height: box.height,
                    paths: svg ? svg.querySelectorAll('path').length : 0};
        })""")
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []  # nothing asked of the network
    assert {f["key"] for f in found} == charts
    for figure in found:
        assert figure["width"] > 200 and figure["height"] > 100, figure
        assert figure["paths"] > 20, figure  # axes, glyphs and marks drawn
    assert shot.stat().st_size > 20_000
    if name == "portfolio" and (os.environ.get("ARREARS_UPDATE_DOCS") == "1" or not DOCS_SHOT.exists()):
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOT)


def test_csv_and_json_carry_the_same_rows(pages):
    import csv
    import json

    folder = pages["portfolio"].parent
    data = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    assert data["report"] == "portfolio" and data["meta"]["currency"] == "CNY"
    with (folder / "portfolio.roll_counts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["from_state"] for r in rows] == [r["from_state"] for r in data["tables"]["roll_counts"]["rows"]]
    assert rows[1]["M2"] == "3" and data["tables"]["roll_counts"]["rows"][1]["M2"] == 3
