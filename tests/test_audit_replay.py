"""`arrears audit replay` from files: every golden history replays; a deliberately
non-deterministic copy of the workflow, or a tampered history, is caught and named."""

import base64
import json
from pathlib import Path

from temporalio import workflow
from typer.testing import CliRunner

from arrears.audit.replay import from_files, replay
from arrears.cli.main import app
from arrears.contracts.collection import EpisodeInput, EpisodeResult
from arrears.contracts.names import WORKFLOW_TYPE
from workflows.collection.workflow import AccountCollection

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class WaitsFirst(AccountCollection):
    """Today's workflow with one unguarded change: a wait before opening the episode."""

    @workflow.init
    def __init__(self, inp: EpisodeInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: EpisodeInput) -> EpisodeResult:
        await workflow.sleep(1)
        return await super().run(inp)


async def test_every_golden_history_replays_against_todays_code():
    lines = await replay(from_files(HISTORIES))
    assert len(lines) == len(HISTORIES) and all(line.ok for line in lines), [str(x) for x in lines if not x.ok]


async def test_an_unguarded_change_is_caught_with_its_event_and_cause():
    lines = await replay(from_files(HISTORIES[:3]), workflows=[WaitsFirst])
    assert lines and not any(line.ok for line in lines)
    assert "nondeterministic" in str(lines[0])
    # Where it diverged: the episode's opening, the first local activity, now comes after a timer.
    assert "LocalActivity(1)" in lines[0].failure
    assert "likely cause: the code no longer runs the local activity recorded here" in lines[0].failure


def test_the_cli_exits_non_zero_for_a_history_todays_code_would_not_reproduce(tmp_path):
    good = Path(__file__).parent / "histories" / "operator_close.json"
    data = json.loads(good.read_text())
    for event in data["events"]:
        attrs = event.get("markerRecordedEventAttributes")
        if attrs and attrs["markerName"] == "core_local_activity":
            # The first local activity was open_episode; the history now says it ran another.
            payload = attrs["details"]["data"]["payloads"][0]
            marker = json.loads(base64.b64decode(payload["data"]))
            marker["activity_type"] = "execute_step"
            payload["data"] = base64.b64encode(json.dumps(marker).encode()).decode()
            break
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "replay", "--file", str(good)])
    assert ok.exit_code == 0 and "ok" in ok.output and "1 replayed, 0 nondeterministic" in ok.output
    bad = runner.invoke(app, ["audit", "replay", "--file", str(good), "--file", str(tampered)])
    assert bad.exit_code == 1, bad.output
    assert "nondeterministic  tampered" in bad.output and "1 nondeterministic" in " ".join(bad.output.split())
    assert runner.invoke(app, ["audit", "replay"]).exit_code == 2
