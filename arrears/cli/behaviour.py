"""`arrears behaviour`: importing the monthly behaviour of all card accounts, the input for risk features.

Registered on the main app by arrears.cli.main; the settings come from its global
options, read when a command runs.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.risk_support import console, err
from arrears.cli.risk_support import engine as _engine
from arrears.cli.risk_support import fail as _fail
from arrears.cli.risk_support import now as _now
from arrears.cli.risk_support import progress as _progress

behaviour_app = typer.Typer(
    no_args_is_help=True, help="Monthly behaviour of all card accounts: the input for risk features."
)


@behaviour_app.command("import")
def behaviour_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines of statement months")],
    rejects: Annotated[Path | None, typer.Option(help="Reject file (default: FILE.rejects.csv)")] = None,
) -> None:
    """Import monthly behaviour (streaming): bad rows are reported by line, good rows still go; a month
    imported again is replaced with the new figures."""
    from arrears.risk.behaviour_import import BehaviourFileError, import_behaviour

    reject_path = rejects or file.with_name(file.name + ".rejects.csv")
    try:
        with _progress("importing behaviour") as progress:
            task = progress.add_task("rows", total=None)
            summary = import_behaviour(_engine(), file, _now(), reject_path, lambda n: progress.advance(task, n))
    except BehaviourFileError as exc:
        _fail(f"{file}: {exc}", code=1)
    for r in summary.rejected[:20]:
        err.print(f"[yellow]line {r.line}[/yellow] {r.account_id or '-'}: {r.reason}", highlight=False)
    if summary.rejected_total > 20:
        err.print(f"... and {summary.rejected_total - 20} more")
    table = Table(title="behaviour import")
    for col in ("rows", "accounts", "added", "replaced", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(
        *(str(x) for x in (summary.rows, summary.accounts, summary.added, summary.replaced, summary.rejected_total))
    )
    console.print(table)
    if summary.rejected_total:
        console.print(f"rejected rows written to {reject_path}")
