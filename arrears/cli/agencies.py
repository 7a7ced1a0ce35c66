"""`arrears agencies`: outside collection agencies, their file and their load."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from arrears.cli.context import console, current_settings, err
from arrears.cli.errors import fail
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.desk.agencies import AgencyFileError, import_agencies, list_agencies

app = typer.Typer(no_args_is_help=True, help="Outside collection agencies: the agencies file and their load.")


@app.command("import")
def agencies_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="CSV: " + "agency_id,name,commission_percent,capacity,placement_days"
        ),
    ],
) -> None:
    """Upsert the agencies under contract; an agency the file no longer lists takes no new accounts."""
    sessions = make_sessionmaker(make_engine(current_settings().database_url))
    try:
        result = import_agencies(sessions, file, datetime.now(UTC))
    except AgencyFileError as exc:
        fail(f"{file}: {exc}")
    for r in result.rejected:
        err.print(f"[yellow]line {r.line}[/yellow] {r.agency_id or '-'}: {r.reason}")
    table = Table(title="agencies import")
    for col in ("rows", "added", "updated", "unchanged", "retired", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            str(x)
            for x in (
                len(result.agencies) + len(result.rejected),
                len(result.added),
                len(result.updated),
                len(result.unchanged),
                len(result.retired),
                len(result.rejected),
            )
        )
    )
    console.print(table)
    if result.retired:
        console.print(f"no longer in the file, no new placements: {', '.join(result.retired)}")


@app.command("list")
def agencies_list() -> None:
    """Each agency with its terms, the accounts it holds now and its capacity."""
    agencies = list_agencies(make_sessionmaker(make_engine(current_settings().database_url)))
    if not agencies:
        console.print("no agencies: import a file with `arrears agencies import FILE`")
        return
    table = Table(title="agencies")
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (
        ("agency", "left"),
        ("name", "left"),
        ("commission %", "right"),
        ("placed / capacity", "right"),
        ("period (days)", "right"),
        ("status", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for a in agencies:
        table.add_row(
            a.agency_id,
            a.name,
            f"{a.commission_percent.normalize():f}",
            f"{a.open_placements} / {a.capacity}",
            str(a.placement_days),
            "active" if a.active else "retired",
        )
    console.print(table)
