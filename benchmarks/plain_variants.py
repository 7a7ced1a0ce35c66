"""Plain Temporal variants the lean-episode benchmarks compare against (no business logic).

``LadderLike(steps, gap_seconds)`` waits ``gap_seconds`` then runs one trivial activity, ``steps``
times: a life with the same number of timers and activities as an episode's ladder, and nothing else.
Run as ``python benchmarks/plain_variants.py worker --address A --task-queue Q`` it is a worker for
those workflows, in a process of its own (as the episode's worker is).
"""

import argparse
import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@activity.defn
async def plain_step(i: int) -> int:
    return i


@workflow.defn
class LadderLike:
    @workflow.run
    async def run(self, steps: int, gap_seconds: float) -> int:
        for i in range(steps):
            await workflow.sleep(gap_seconds)
            await workflow.execute_activity(plain_step, i, start_to_close_timeout=timedelta(seconds=60))
        return steps


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue=task_queue, workflows=[LadderLike], activities=[plain_step]):
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--address", required=True)
    w.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.address, args.task_queue))
    except KeyboardInterrupt:
        pass
