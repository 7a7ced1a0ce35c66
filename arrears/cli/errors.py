"""Every CLI error is one line: exit 2 for bad input, 1 for a failure elsewhere, never a traceback.

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

import typer

try:  # typer vendors its own copy of click; its exceptions are the ones raised here
    from typer import _click as click
except ImportError:  # pragma: no cover - an older typer on the real click
    import click
from pydantic import ValidationError
from typer.core import TyperGroup

from arrears.client.operations import deepest_message

BAD_INPUT, FAILED = 2, 1
# What the CLI framework raises on purpose (exits, usage errors): not errors of ours to rephrase.
ABORTS = tuple(e for e in (getattr(click.exceptions, "Abort", None), typer.Abort) if e)
PASS_THROUGH = tuple(e for e in (getattr(click.exceptions, "Exit", None), click.exceptions.ClickException, typer.Exit,
                                 SystemExit, *ABORTS) if e)


class BadInput(Exception):
    """The command's own arguments cannot be used (exit 2); the message says which and why."""


def describe(exc: BaseException) -> tuple[str, int]:
    """One line and the exit code for an exception a command did not handle."""
    from sqlalchemy.exc import SQLAlchemyError
    from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
    from temporalio.service import RPCError, RPCStatusCode

    from arrears.intake.csvfile import validation_reason

    if isinstance(exc, BadInput):
        return str(exc), BAD_INPUT
    if isinstance(exc, ValidationError):
        return validation_reason(exc), BAD_INPUT
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return ("the episode did not answer in time: the update may or may not have been recorded. "
                "Retrying with the same id is safe (a repeat is recognised and changes nothing); "
                "`arrears status ACCOUNT` shows what was applied"), FAILED
    if isinstance(exc, WorkflowUpdateFailedError):
        return f"refused: {deepest_message(exc)}", FAILED
    if isinstance(exc, RPCError):
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return f"Temporal did not answer ({exc.status.name}): {_first(exc.message)}", FAILED
        return f"Temporal refused the call ({exc.status.name if exc.status else 'error'}): {_first(exc.message)}", FAILED
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
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `arrears` alone: the help, as before
                exc.show()
                sys.exit(exc.exit_code)
            where = f" (see {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) is not None else ""
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
        except Exception as exc:  # noqa: BLE001 - the point: nothing escapes as a traceback
            if os.environ.get("ARREARS_DEBUG") == "1":
                raise
            message, code = describe(exc)
            click.echo(f"error: {message}", err=True)
            sys.stderr.flush()
            ctx.exit(code)
