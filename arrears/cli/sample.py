"""`arrears sample` and `arrears demo`: a synthetic portfolio, and the whole lifecycle run on one."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from arrears.cli.context import console, uses_temporal
from arrears.cli.errors import FAILED
from arrears.demo.run import DEMO_DIR, run_demo
from arrears.intake.sample import generate_accounts, write_csv, write_jsonl
from arrears.risk.synthetic_write import write_behaviour

app = typer.Typer()  # mounted without a name: its commands are top-level


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="CSV (.csv) or JSON Lines (.jsonl) file to write")],
    count: Annotated[int, typer.Option("-n", "--count", min=1)] = 50,
    seed: Annotated[int, typer.Option()] = 7,
    behaviour: Annotated[
        Path | None,
        typer.Option(help="Also write 12 months of behaviour for these accounts (for `arrears behaviour import`)"),
    ] = None,
) -> None:
    """Write a synthetic portfolio (DPD -3..120 relative to today)."""
    rows = generate_accounts(count, date.today(), seed=seed)
    (write_jsonl if out.suffix == ".jsonl" else write_csv)(out, rows)
    console.print(f"{count} accounts written to {out}")
    if behaviour:
        months = write_behaviour(behaviour, rows, date.today(), seed=seed)
        console.print(f"{months} statement months written to {behaviour}")


@app.command()
def demo(
    day_seconds: Annotated[float, typer.Option(help="Real seconds per collection day")] = 1.0,
    days: Annotated[int, typer.Option(help="Collection days the demo runs")] = 70,
    keep_server: Annotated[bool, typer.Option(help="Keep the server up after the summary, until Ctrl-C")] = False,
    directory: Annotated[Path | None, typer.Option("--dir", help="The demo's files (emptied first) [.demo/]")] = None,
) -> None:
    """Run the whole lifecycle on a sample portfolio with compressed days."""
    uses_temporal()
    try:
        code = asyncio.run(
            run_demo(day_seconds=day_seconds, days=days, keep_server=keep_server, demo_dir=directory or DEMO_DIR)
        )
    except KeyboardInterrupt:  # Ctrl-C: the demo has stopped its server and worker on the way out
        code = 0 if keep_server else FAILED  # interrupted before its summary: aborted, as any command
    raise typer.Exit(code)
