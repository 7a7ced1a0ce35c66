"""`arrears archive`: workflow histories kept past Temporal's retention."""

from typing import Annotated

import typer
from rich.table import Table

from arrears.audit.archive import archive_closed, archived_rows, purge
from arrears.cli.context import console, current_settings, run_async, session_factory, temporal_client, utcnow

app = typer.Typer(
    no_args_is_help=True, help="Workflow histories kept in the system of record past Temporal's retention."
)


@app.command("run")
def archive_run() -> None:
    """Archive now what the HistoryArchiver workflow would archive on its next round."""

    async def go():
        return await archive_closed(await temporal_client(), session_factory(), utcnow())

    report = run_async(go())
    for line in report.archived:
        console.print(f"archived  {line}", markup=False, highlight=False)
    for line in report.waiting:
        console.print(
            f"waiting   {line} (closed in the record, still closing on the server)", markup=False, highlight=False
        )
    for line in report.missing:
        console.print(f"missing   {line} (gone from the server before it was archived)", markup=False, highlight=False)
    console.print(str(report))


@app.command("list")
def archive_list(account: Annotated[str | None, typer.Option(help="Only this account's histories")] = None) -> None:
    """Archived runs: workflow, run, how it ended, events, sizes and checksum."""
    with session_factory()() as session:
        rows = archived_rows(session, account_id=account)
    table = Table(
        "workflow", "run", "#", "type", "ended", "closed (UTC)", "events", "JSON bytes", "stored bytes", "sha256"
    )
    for r in rows:
        table.add_row(
            r.workflow_id,
            r.run_id,
            str(r.run_index),
            r.workflow_type,
            r.close_event,
            f"{r.closed_at:%Y-%m-%d %H:%M}",
            str(r.events),
            str(r.json_bytes),
            str(len(r.content)),
            r.sha256[:16],
        )
    console.print(table)
    console.print(f"{len(rows)} archived run(s)")


@app.command("purge")
def archive_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing")] = False,
) -> None:
    """Remove archived histories past ARREARS_ARCHIVE_RETENTION_DAYS, and say which."""
    days = current_settings().archive_retention_days
    gone = purge(session_factory(), utcnow(), days, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for p in gone:
        console.print(f"{verb}  {p}", markup=False, highlight=False)
    console.print(f"{len(gone)} archived run(s) {verb}: closed more than {days} days ago")
