"""Safe versioning, shown on the biggest change so far: the agenda cut-over. A history recorded
before it (the first engine, patch `stage-on-record-at-open` and all) replays against today's
code because the choice of engine is guarded by workflow.patched("agenda"); the same change
unguarded would not; a new workflow takes the new branch and records the marker."""

import json
from datetime import timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from arrears.contracts.collection import EpisodeInput, EpisodeResult
from arrears.contracts.names import WORKFLOW_TYPE
from tests.workflow.helpers import Scenario, account_row
from tests.workflow.test_lifecycle import _today
from workflows import WORKFLOWS
from tests.workflow.test_agenda import activity_of
from workflows.collection.engine import AgendaEpisode
from workflows.collection.workflow import AccountCollection

PATCH = "agenda"
OLD = Path(__file__).parents[1] / "histories" / "v1" / "operator_close_v1.json"


def patches(history: WorkflowHistory) -> list[str]:
    found = []
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded_event_attributes.marker_name == "core_patch":
            found.append(json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"])
    return found


def activities_after_start(history: WorkflowHistory) -> list[str]:
    return [name for name in map(activity_of, history.events) if name is not None]


@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class Unguarded(AccountCollection):
    """Today's workflow with the change made the unsafe way: the new engine for every history."""

    @workflow.init
    def __init__(self, inp: EpisodeInput) -> None:
        self._legacy = None
        self._agenda = AgendaEpisode(inp)

    @workflow.run
    async def run(self, inp: EpisodeInput) -> EpisodeResult:
        return await super().run(inp)


async def _replay(history: WorkflowHistory, workflows) -> Exception | None:
    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter)
    return (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure


async def test_old_history_replays_new_workflow_takes_the_new_branch(time_env, migrated_sqlite):
    old = WorkflowHistory.from_json("old", OLD.read_text())
    assert PATCH not in patches(old)  # recorded before the change
    assert await _replay(old, WORKFLOWS) is None  # today's code, guarded: the old path is still there
    assert await _replay(old, [Unguarded]) is not None  # the same change without the guard breaks it

    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, "Asia/Shanghai")
    async with sc.worker():
        handle = await sc.start(account_row("VER1", today - timedelta(days=3)), now=await time_env.get_current_time())
        await handle.execute_update("close", {"reason": "versioning test", "operator_id": "pytest"})
        await handle.result()
        new = await handle.fetch_history()
    assert PATCH in patches(new)
    # The new branch: the agenda engine opens with one write (the row, the stage, the opening ledger).
    assert activities_after_start(new)[0] == "open_episode"
    assert await _replay(new, WORKFLOWS) is None
