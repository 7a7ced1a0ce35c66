"""Every CLI error is one line and one of three exit codes, never a traceback.

The exit codes, for every command:

- 0: done; or the answer is "all well" (doctor, blacklist check: not blocked).
- 1: a failure elsewhere (Temporal, the database), a refusal or a "no" from
  the system on good input (an update refused, an account blocked, a call the
  contact gate forbids now, nothing found), or something that needs a person
  (doctor, compliance check, audit verify: problems found).
- 2: bad input: what the operator gave cannot be used (usage errors; malformed
  dates, times or amounts; values out of bounds; a settings or strategy file
  that does not validate; a collector the command cannot act on).

The root command group catches what a command lets escape (a pydantic
ValidationError from a contract model, a Temporal RPC error, an update that
timed out, a database error) and says it in one line. ``ARREARS_DEBUG=1``
shows the traceback instead, for developers.

Messages never carry a statement's parameters (they may hold a customer's
name or address): a database error is named by the database's first line.
"""

import asyncio
import os
import sys
from typing import NoReturn

import typer

try:  # typer vendors its own copy of click; its exceptions are the ones raised here
    from typer import _click as click
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - an older typer on the real click
    import click  # type: ignore[no-redef]
    from click import get_current_context  # type: ignore[no-redef]
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode
from typer.core import TyperGroup

from arrears.client.operations import deepest_message
from arrears.intake.csvfile import validation_reason

BAD_INPUT, FAILED = 2, 1
err = Console(stderr=True)
# What the CLI framework raises on purpose (exits, usage errors): not errors of ours to rephrase.
ABORTS = tuple(e for e in (getattr(click.exceptions, "Abort", None), typer.Abort) if e)
PASS_THROUGH = tuple(
    e
    for e in (getattr(click.exceptions, "Exit", None), click.exceptions.ClickException, typer.Exit, SystemExit, *ABORTS)
    if e
)


def current_click_context():
    """The running command's context (None outside a command): the root's ``obj`` holds the CLI's state."""
    return get_current_context(silent=True)


class BadInput(Exception):
    """The command's own arguments cannot be used (exit 2); the message says which and why."""


class CliError(Exception):
    """A clear no for the operator (exit 1); printed without a traceback."""


def fail(message: "str | BaseException", code: int = FAILED) -> NoReturn:
    """Say why on stderr, one line, and exit with ``code``; a validation error is bad input."""
    if isinstance(message, ValidationError):
        message, code = validation_reason(message), BAD_INPUT
    text = " ".join(str(message).split("\n"))
    err.print(f"[red]error:[/red] {text}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def describe(exc: BaseException) -> tuple[str, int]:
    """One line and the exit code for an exception a command did not handle."""
    if isinstance(exc, BadInput):
        return str(exc), BAD_INPUT
    if isinstance(exc, ValidationError):
        return validation_reason(exc), BAD_INPUT
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return (
            "the episode did not answer in time: the update may or may not have been recorded. "
            "Retrying with the same id is safe (a repeat is recognised and changes nothing); "
            "`arrears status ACCOUNT` shows what was applied"
        ), FAILED
    if isinstance(exc, WorkflowUpdateFailedError):
        return f"refused: {deepest_message(exc)}", FAILED
    if isinstance(exc, RPCError):
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return f"Temporal did not answer ({exc.status.name}): {_first(exc.message)}", FAILED
        return (
            f"Temporal refused the call ({exc.status.name if exc.status else 'error'}): {_first(exc.message)}",
            FAILED,
        )
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timed out waiting for an answer; nothing is known to have changed, running it again is safe", FAILED
    if isinstance(exc, SQLAlchemyError):
        original = getattr(exc, "orig", None) or exc
        return f"database error ({type(original).__name__}): {_first(str(original))}", FAILED
    return f"{type(exc).__name__}: {_first(str(exc))} (ARREARS_DEBUG=1 shows the traceback)", FAILED


def _first(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:500] if lines else ""


class OneLineErrors(TyperGroup):
    """The root group: a command's unhandled exception becomes one line on stderr and an exit code."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        """Usage errors (a missing option, a bad value for a typed one) are one line too, exit 2."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]  # by keyword only
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except click.exceptions.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `arrears` alone: the help, as before
                exc.show()
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)  # usage errors carry the command's context
            where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
            click.echo(f"error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except ABORTS:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PASS_THROUGH:
            raise
        except Exception as exc:
            if os.environ.get("ARREARS_DEBUG") == "1":
                raise
            message, code = describe(exc)
            click.echo(f"error: {message}", err=True)
            sys.stderr.flush()
            ctx.exit(code)
