"""History events of uncured 180-day lives on the production strategy, per risk segment.

    .venv/bin/python benchmarks/episode_events.py [--segments low,medium,high] [--strategy strategies/default.toml]

Runs one never-paying episode per segment on the time-skipping test server (days pass at once), then
prints, for each: the events of its history (all runs, continue-as-new included), the ladder steps it
executed, events per executed step, and how the events split by type. The server does the same work for
every event, so the events a life costs are, to first order, what it costs the server.

The anchor is a plain Temporal timer loop with one activity per step (benchmarks/plain_variants.py):
5.5 events per step for a bare timer loop, 11 with one activity per step.
"""

import argparse
import asyncio
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from arrears import PROJECT_ROOT  # noqa: E402
from arrears.runtime import search_attributes as sa  # noqa: E402
from arrears.db.migrate import upgrade  # noqa: E402
from arrears.domain.delinquency import local_date  # noqa: E402
from arrears.config.strategies import load_strategy  # noqa: E402


async def life_events(env: WorkflowEnvironment, database_url: str, strategy, segment: str) -> dict:
    from tests.workflow.helpers import Scenario, account_row

    sc = Scenario(env.client, database_url)
    tz = "Asia/Shanghai"
    today = local_date(await env.get_current_time(), tz)
    account = f"EV{segment[:1].upper()}{uuid.uuid4().hex[:5].upper()}"
    async with sc.worker():
        handle = await sc.start(account_row(account, today + timedelta(days=5), segment=segment), strategy,
                                now=await env.get_current_time())
        await env.sleep(timedelta(days=190))
        with env.auto_time_skipping_disabled():
            result = await asyncio.wait_for(handle.result(), timeout=120)
        kinds: Counter = Counter()
        events = 0
        run = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
        while True:
            history = await run.fetch_history()
            events += len(history.events)
            kinds.update(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events)
            last = history.events[-1]
            if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                break
            nxt = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            run = env.client.get_workflow_handle(handle.id, run_id=nxt)
    steps = result.steps_done
    return {"segment": segment, "outcome": result.outcome.value, "events": events, "steps": steps,
            "per_step": round(events / steps, 2) if steps else None, "kinds": kinds}


async def _server() -> WorkflowEnvironment:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=shutil.which("temporal-test-server")
        or str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter)
    indexed = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
               "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
               "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE}
    await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=env.client.namespace, search_attributes={k.name: indexed[v] for k, v in sa.KINDS.items()}))
    return env


async def main(args) -> None:
    strategy = load_strategy(args.strategy)
    workdir = Path(tempfile.mkdtemp(prefix="arrears-events-"))
    try:
        print(f"strategy {strategy.name} ({args.strategy}); one never-paying life per segment")
        print(f"{'segment':8} {'outcome':12} {'events':>7} {'steps':>6} {'events/step':>12}  largest kinds")
        for segment in args.segments.split(","):
            # A server per life: each life moves its clock 190 days on, and the record refuses
            # due dates a year ahead of the wall clock.
            env = await _server()
            url = f"sqlite:///{workdir / f'{segment}.db'}"
            upgrade(url)
            r = await life_events(env, url, strategy, segment)
            await env.shutdown()
            top = ", ".join(f"{k.lower()} {n}" for k, n in r["kinds"].most_common(12))
            print(f"{r['segment']:8} {r['outcome']:12} {r['events']:>7} {r['steps']:>6} {r['per_step']!s:>12}  {top}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", default="low,medium,high")
    parser.add_argument("--strategy", default=str(PROJECT_ROOT / "strategies" / "default.toml"))
    asyncio.run(main(parser.parse_args()))
