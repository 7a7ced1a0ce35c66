"""Building and running a worker: workflows, activities, the database."""

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.collection import CollectionActivities
from arrears.channels.render import Renderer
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.settings import Settings
from workflows import WORKFLOWS

# Activities are synchronous (SQLAlchemy); they run on this many threads.
ACTIVITY_THREADS = 32


def build_activities(settings: Settings) -> CollectionActivities:
    sessions = make_sessionmaker(make_engine(settings.database_url))
    return CollectionActivities(sessions, Renderer(settings.templates_dir))


def build_worker(client: Client, settings: Settings, activities: CollectionActivities | None = None) -> Worker:
    acts = activities or build_activities(settings)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=acts.all(),
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
        max_concurrent_activities=ACTIVITY_THREADS,
    )


async def run_worker(client: Client, settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then let in-flight tasks finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, settings):
        print(f"worker polling task queue {settings.task_queue!r} on {settings.temporal_address}", flush=True)
        await stop.wait()
