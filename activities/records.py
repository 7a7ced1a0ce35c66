"""A record the database refuses for good is a non-retryable failure, not an endless retry.

The bounds (arrears.domain.bounds) keep such values out at the edge; this is
the backstop for anything that still gets through (an older workflow's input,
a column narrowed later). A value too long for its column, a numeric overflow
or a NUL byte fails the same way on every attempt: retrying only hides it. The
activity fails at once with ``type="RecordRejected"``, and the workflow sees
an ActivityError it can show (the agenda issue's attention state) instead of
an activity that retries forever.

The message names the activity and the database's reason, never the values
(they may be a customer's name or address, and the failure is kept in the
workflow's history).
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DataError, StatementError
from temporalio.exceptions import ApplicationError

RECORD_REJECTED = "RecordRejected"

P = ParamSpec("P")
R = TypeVar("R")


def permanent_reason(exc: BaseException) -> str | None:
    """The database's reason when ``exc`` will fail the same way on every retry, else None."""
    if isinstance(exc, DataError):
        original = exc.orig if exc.orig is not None else exc
        return f"{type(original).__name__}: {_first_line(original)}"
    if isinstance(exc, StatementError) and isinstance(exc.orig, (ValueError, TypeError, UnicodeError)):
        # Raised while binding a parameter (our column types refuse, or the driver cannot encode it):
        # nothing reached the database, and nothing different will on a retry.
        return f"{type(exc.orig).__name__}: {_first_line(exc.orig)}"
    return None


def rejected(name: str, exc: BaseException) -> ApplicationError | None:
    reason = permanent_reason(exc)
    if reason is None:
        return None
    return ApplicationError(
        f"{name}: the record refused the values ({reason})", type=RECORD_REJECTED, non_retryable=True
    )


def records(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a synchronous activity that writes records (below ``@activity.defn``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (DataError, StatementError) as exc:
            failure = rejected(fn.__name__, exc)
            if failure is None:
                raise
            raise failure from None

    return wrapper


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
