"""`arrears db`: database migrations."""

from typing import Annotated

import typer

from arrears.cli.context import console, current_settings
from arrears.db.migrate import downgrade, upgrade

app = typer.Typer(no_args_is_help=True, help="Database migrations (Alembic).")


@app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    upgrade(current_settings().database_url, revision)
    console.print(f"database at {revision}: {current_settings().database_url_masked}")


@app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    downgrade(current_settings().database_url, revision)
    console.print(f"database at {revision}")
