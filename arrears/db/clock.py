"""The wall clock that stamps rows: aware UTC, as the UtcDateTime column type requires.

Not in arrears.domain: workflows import the domain, and a workflow must never read the wall
clock (workflow.now() is its clock). Activities, the API and the CLI take ``clock=utcnow`` as a
default argument, so a test can stand a fixed clock in.
"""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)
