"""`arrears`: the operators' command line. Each command is a thin call into the layers below.

Exit codes, the same for every command (arrears.cli.errors):
0 done (or "all well"); 1 a failure elsewhere (Temporal, the database), a refusal
or "no" from the system, or something that needs a person (doctor, compliance
check, audit verify); 2 bad input (usage, a malformed or out-of-bounds value).

This module builds the root command from one module per command group and
defines the console entry point ``run``; the shared state lives in
arrears.cli.context.
"""

import os
import sys
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

from arrears.cli import (
    accounts,
    agencies,
    archive,
    audit,
    behaviour,
    codec,
    collectors,
    compliance,
    db,
    desk,
    episodes,
    evidence,
    holds,
    reports,
    risk,
    risk_watch,
    sample,
    server,
    strategy,
)
from arrears.cli.context import state
from arrears.cli.errors import BAD_INPUT, OneLineErrors, fail
from arrears.client.operations import UPDATE_WAIT
from arrears.config.settings import load_settings
from arrears.intake.csvfile import validation_reason

# OneLineErrors: whatever a command lets escape is one line and an exit code (2 bad input, 1 otherwise).
app = typer.Typer(cls=OneLineErrors, no_args_is_help=True, add_completion=False, help=__doc__.split("\n\n")[0])
for commands in (server.app, episodes.app, compliance.consent_app, codec.app, sample.app):
    app.add_typer(commands)  # no name: their commands are top-level (`arrears start`, `arrears worker`, ...)
app.add_typer(db.app, name="db")
app.add_typer(strategy.app, name="strategy")
app.add_typer(desk.app, name="desk")
app.add_typer(collectors.app, name="collectors")
app.add_typer(agencies.app, name="agencies")
app.add_typer(audit.app, name="audit")
app.add_typer(compliance.app, name="compliance")
app.add_typer(archive.app, name="archive")
app.add_typer(holds.app, name="hold")
app.add_typer(evidence.app, name="evidence")
app.add_typer(accounts.bureau_app, name="bureau")
app.add_typer(accounts.recovery_app, name="recovery")
app.add_typer(accounts.blacklist_app, name="blacklist")
app.command("legal")(accounts.legal_show)
# Reports, reviews, complaints, experiments (docs/reports.md).
app.add_typer(reports.report_app, name="report")
desk.app.command("review")(reports.review)
desk.app.command("review-agency")(reports.review_agency)
desk.app.add_typer(reports.complaint_app, name="complaint")
strategy.app.command("promote")(reports.promote)
# Risk assessment (issue 19).
app.add_typer(behaviour.behaviour_app, name="behaviour")
risk.risk_app.add_typer(risk_watch.app)  # no name: its commands join `arrears risk` (watchlist, rescore, ...)
app.add_typer(risk.risk_app, name="risk")


@app.callback()
def main(
    ctx: typer.Context,
    address: Annotated[str | None, typer.Option(help="Temporal frontend, host:port [TEMPORAL_ADDRESS]")] = None,
    namespace: Annotated[str | None, typer.Option(help="Temporal namespace [TEMPORAL_NAMESPACE]")] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue [ARREARS_TASK_QUEUE]")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL [ARREARS_DATABASE_URL]")] = None,
) -> None:
    """Arrears: durable collection lifecycles for overdue credit-card accounts."""
    try:
        state.settings = load_settings(
            temporal_address=address, temporal_namespace=namespace, task_queue=task_queue, database_url=database_url
        )
    except ValidationError as exc:
        fail(f"settings: {validation_reason(exc)}", BAD_INPUT)
    ctx.obj = state
    UPDATE_WAIT.set(timedelta(seconds=state.settings.update_wait_seconds))


def run(args: list[str] | None = None) -> None:
    """Console entry point.

    A process that made a Temporal client can crash while the interpreter
    tears down the SDK's Rust threads (temporalio/sdk-python#300), turning a
    finished command into a segfault. Once the command is done and its output
    flushed, such a process leaves without that teardown.
    """
    try:
        app(args)
    except SystemExit as exc:
        if not state.used_temporal:
            raise
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
