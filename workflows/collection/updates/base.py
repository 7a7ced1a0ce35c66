"""How every update handler of the agenda engine runs: validate, change the state, write it down.

Each handler runs under the episode's lock, so updates never interleave: it
looks for a repeat first (same id, same answer), re-checks the request
against the state as it is now (the validator ran when the update arrived;
another update may have changed things since), applies the pure transition
at once (the loop and later updates see it) and then waits for the record.
Updates whose answer depends on the system of record (a re-age, a legal
event) ask the record first and apply after, still under the lock.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.domain.episode import Episode

from workflows.collection.context import Context
from workflows.collection.economics import Economics
from workflows.collection.writes import Writes
from workflows.shared import refuse


class UpdateBase:
    """What every handler needs: the context, the writes, the economics, and how to refuse."""

    def __init__(self, ctx: Context, writes: Writes, economics: Economics) -> None:
        self.ctx = ctx
        self.writes = writes
        self.economics = economics

    @property
    def ep(self) -> Episode:
        return self.ctx.ep

    def _ended(self) -> str | None:
        return self.ep.outcome.value if self.ep.outcome else None

    def _refuse(self, reason: str | None, known: bool = False) -> None:
        """A refusal is typed EpisodeEnded when the episode is over (and the request is not a repeat)."""
        refuse(reason, errors.EPISODE_ENDED if self.ep.outcome is not None and not known else errors.REFUSED)
