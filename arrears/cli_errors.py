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

import click
import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from arrears.operations import deepest_message

BAD_INPUT, FAILED = 2, 1


class BadInput(Exception):
    """The command's own arguments cannot be used (exit 2); the message says which and why."""


def describe(exc: BaseException) -> tuple[str, int]:
    """One line and the exit code for an exception a command did not handle."""
    from sqlalchemy.exc import SQLAlchemyError
    from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
    from temporalio.service import RPCError, RPCStatusCode

    from arrears.csvfile import validation_reason

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

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the point: nothing escapes as a traceback
            if os.environ.get("ARREARS_DEBUG") == "1":
                raise
            message, code = describe(exc)
            click.echo(f"error: {message}", err=True)
            sys.stderr.flush()
            ctx.exit(code)
