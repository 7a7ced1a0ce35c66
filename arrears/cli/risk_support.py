"""What the `arrears behaviour` and `arrears risk` commands share: their consoles, the database from the
global options, the clock, a failure exit, date arguments and progress bars.

Not a command module: arrears.cli.behaviour, arrears.cli.risk and arrears.cli.risk_watch import it.
"""

from datetime import UTC, date, datetime
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arrears.cli.context import state

console = Console()
err = Console(stderr=True)


def settings():

    return state.settings


def engine():
    from arrears.db.engine import make_engine

    return make_engine(settings().database_url)


def sessions(engine=None):
    from arrears.db.engine import make_engine, make_sessionmaker

    return make_sessionmaker(engine or make_engine(settings().database_url))


def now() -> datetime:
    return datetime.now(UTC)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: give a date as YYYY-MM-DD, got {value!r}")


def progress(label: str):
    return Progress(
        TextColumn(f"[bold]{label}[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
