"""A Report on the terminal (rich), as CSV and JSON files, and as one self-contained HTML page.

The HTML page carries everything it shows: styles inline, charts as inline SVG,
no script and no link to anything outside it, so it opens from a mail or a
USB stick with no network (a browser test opens it with the network blocked).
"""

import csv
import html
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from arrears.insight.report import Report, Table, plain, shown

_RIGHT = {"int", "amount", "rate", "number", "days", "score", "points"}


def print_report(report: Report, console: Console) -> None:
    console.rule(f"[bold]{report.title}")
    for line in report.subtitle:
        console.print(line)
    for table in report.tables:
        rich = RichTable(title=table.title, title_justify="left", show_lines=False)
        for col in table.columns:
            rich.add_column(col.title, justify="right" if col.kind in _RIGHT else "left", overflow="fold")
        for row in table.rows:
            rich.add_row(*(shown(v, c.kind) for v, c in zip(row, table.columns, strict=False)))
        console.print(rich)
        if table.note:
            console.print(f"[dim]{table.note}[/dim]")
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


def csv_paths(report: Report, path: Path) -> dict[str, Path]:
    """One file per table: FILE for a single table, FILE's stem + '.<table>.csv' for several."""
    if len(report.tables) == 1:
        return {report.tables[0].key: path}
    return {t.key: path.with_name(f"{path.stem}.{t.key}{path.suffix or '.csv'}") for t in report.tables}


def write_csv(report: Report, path: Path) -> list[Path]:
    written = []
    for key, target in csv_paths(report, path).items():
        table = report.table(key)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.key for c in table.columns])
            for row in table.rows:
                writer.writerow(["" if v is None else plain(v) for v in row])
        written.append(target)
    return written


def as_json(report: Report) -> dict:
    return {
        "report": report.kind,
        "title": report.title,
        "subtitle": report.subtitle,
        "notes": report.notes,
        "meta": plain(report.meta),
        "tables": {t.key: {"title": t.title, "rows": [plain(r) for r in t.records()]} for t in report.tables},
    }


def write_json(report: Report, path: Path) -> Path:
    path.write_text(json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: .2rem; }
p.sub { color: #4b5563; margin: .1rem 0; }
p.note { background: #fffbeb; border-left: 3px solid #f59e0b; padding: .4rem .6rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: .6rem; background: #fff; }
figure svg { width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 13px; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e5e7eb; }
th { text-align: left; background: #f9fafb; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
footer { color: #6b7280; margin-top: 2rem; font-size: 12px; }
"""


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for value, col in zip(row, table.columns, strict=False):
            css = ' class="n"' if col.kind in _RIGHT else ""
            cells.append(f"<td{css}>{html.escape(shown(value, col.kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="sub">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f'<div class="wrap"><table data-table="{html.escape(table.key)}"><caption>{html.escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def render_html(report: Report) -> str:
    from arrears.insight.charts import svg

    figures = "".join(
        f'<figure data-chart="{html.escape(c.key)}"><figcaption>{html.escape(c.title)}</figcaption>{svg(c)}'
        + (f'<p class="sub">{html.escape(c.note)}</p>' if c.note else "")
        + "</figure>"
        for c in report.charts
    )
    subtitle = "".join(f'<p class="sub">{html.escape(s)}</p>' for s in report.subtitle)
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in report.notes)
    tables = "".join(_table_html(t) for t in report.tables)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{html.escape(report.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(report.title)}</h1>
{subtitle}
{notes}
<h2>Charts</h2>
<div class="charts">{figures}</div>
<h2>Tables</h2>
{tables}
<footer>Arrears insight report ({html.escape(report.kind)}); figures computed in the system of record.
Measures and formulas: docs/reports.md.</footer>
</body>
</html>
"""


def write_html(report: Report, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
