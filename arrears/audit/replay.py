"""The auditor's replay: do today's workflow definitions still reproduce what was done?

Histories come from the server (one workflow, or every workflow a list query
matches) or from files (`temporal workflow show --output json`). Each is
replayed with the SDK's ``Replayer``; a history the code would now decide
differently is nondeterministic, and the line says where and the likely
cause. Only reads: nothing is signalled, updated or changed.
"""

import dataclasses
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverter
from temporalio.worker import Replayer

from arrears.runtime.codec import encrypted_payloads
from workflows import WORKFLOWS

# What a nondeterminism message most often means in this code base.
# The core names the state machine that met an event it did not expect: that
# machine is what today's code does at this point.
_CAUSES = (
    ("which is not configured", "the history is encrypted with a key this process lacks: set ARREARS_CODEC_KEYS"),
    ("does not decrypt", "the history's ciphertext was altered, or a different key has the same id"),
    ("patch", "a workflow.patched marker added or removed without keeping the old branch"),
    (
        "machine for localactivity",
        "the code no longer runs the local activity recorded here (it waits or does something else first): a change without workflow.patched",
    ),
    ("timer machine", "the code now waits (a timer) where it used to act: a change without workflow.patched"),
    ("activity machine", "the code now runs a different activity here: a change without workflow.patched"),
    ("timer", "a wait changed (a timer added, removed or moved): a change without workflow.patched"),
    ("activity", "a step now runs a different activity (or none) here: a change without workflow.patched"),
    ("update", "an update handler changed what it does: a change without workflow.patched"),
)


@dataclass(frozen=True)
class ReplayLine:
    workflow_id: str
    run_id: str | None
    events: int
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def __str__(self) -> str:
        run = f" run {self.run_id}" if self.run_id else ""
        if self.ok:
            return f"ok                {self.workflow_id}{run} ({self.events} events)"
        return f"nondeterministic  {self.workflow_id}{run} ({self.events} events): {self.failure}"


def likely_cause(message: str) -> str:
    lowered = message.lower()
    for word, cause in _CAUSES:
        if word in lowered:
            return cause
    return "workflow code changed in a way that alters its commands: guard behaviour changes with workflow.patched"


def _describe(error: Exception) -> str:
    text = " ".join(str(error).split())
    core = re.search(r'message: "([^"]*)"', text)
    message = core.group(1) if core else text
    event = re.search(r"HistoryEvent\(id: (\d+), (\w+)\)", text)
    where = f" at event {event.group(1)} ({event.group(2)})" if event else ""
    return f"{message}{where}; likely cause: {likely_cause(message)}"


async def replay(
    histories: AsyncIterator[WorkflowHistory],
    workflows: Sequence[type] = WORKFLOWS,
    data_converter: DataConverter = pydantic_data_converter,
) -> list[ReplayLine]:
    """Replay each history; encrypted histories need the converter with the keys (arrears.runtime.connect.converter)."""
    # Failures are read back with their text in clear, so that a replay failure says what went wrong
    # (histories written with encoded failure text still decode: the default converter reads both).
    readable = dataclasses.replace(data_converter, failure_converter_class=DefaultFailureConverter)
    replayer = Replayer(workflows=list(workflows), data_converter=readable)
    lines: list[ReplayLine] = []
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            history = result.history
            run_id = history.events[0].workflow_execution_started_event_attributes.original_execution_run_id or None
            failure = None if result.replay_failure is None else _describe(result.replay_failure)
            if failure is not None and data_converter.payload_codec is None and encrypted_payloads(history):
                failure = (
                    "the history is encrypted and no keys are configured: set ARREARS_CODEC_KEYS "
                    f"(or ARREARS_CODEC_KEYS_FILE) with the keys it was written with ({failure})"
                )
            lines.append(ReplayLine(history.workflow_id, run_id, len(history.events), failure))
    return lines


async def from_files(paths: Iterable[Path]) -> AsyncIterator[WorkflowHistory]:
    """A history file per workflow; its name (without .json) stands for the workflow id."""
    for path in paths:
        yield WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


async def from_server(
    client: Client, workflow_id: str | None = None, query: str | None = None
) -> AsyncIterator[WorkflowHistory]:
    if workflow_id is not None:
        yield await client.get_workflow_handle(workflow_id).fetch_history()
    if query is not None:
        async for history in client.list_workflows(query).map_histories():
            yield history


async def from_list(histories: Iterable[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history
