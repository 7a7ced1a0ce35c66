"""The demo's report: `make demo` ends by writing the portfolio report of what it ran, as HTML
(with its charts), CSV and JSON, and printing where they are."""

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import ContactAttempt, Episode
from arrears.insight.portfolio import portfolio_report
from arrears.insight.render import write_csv, write_html, write_json


def write_demo_report(sessions: sessionmaker[Session], out_dir: Path, console: Console) -> Path | None:
    """The portfolio from the month the demo's episodes began to the month its collection clock reached."""
    with sessions() as session:
        first = session.scalar(select(func.min(Episode.started_at)))
        last = max(
            filter(
                None,
                [
                    session.scalar(select(func.max(ContactAttempt.attempted_at))),
                    session.scalar(select(func.max(Episode.closed_at))),
                    datetime.now(UTC),
                ],
            )
        )
        if first is None:
            console.print("no episode in the record: no report")
            return None
        # The demo's days are compressed, so its collection clock runs months ahead of the wall clock.
        report = portfolio_report(session, f"{first:%Y-%m}", f"{last:%Y-%m}", as_of=last.date())
    out_dir.mkdir(parents=True, exist_ok=True)
    html = write_html(report, out_dir / "portfolio.html")
    write_json(report, out_dir / "portfolio.json")
    write_csv(report, out_dir / "portfolio.csv")
    console.rule("report")
    console.print(f"{report.title}: roll rates, cures, charge-offs, recoveries and step effectiveness")
    console.print(f"report: {html}  (open it in a browser; CSV and JSON beside it; more: arrears report --help)")
    return html
