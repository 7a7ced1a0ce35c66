"""Building and running a worker: workflows, activities, the database."""

import asyncio
import hashlib
import signal
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.account_actions import AccountActionActivities
from activities.archive import ArchiveActivities
from activities.bureau import BureauActivities
from activities.collection import CollectionActivities
from activities.desk import DeskActivities
from activities.ledger import LedgerActivities
from activities.recovery import RecoveryActivities
from activities.recovery_start import RecoveryStartActivities
from activities.risk import RiskActivities
from arrears import PROJECT_ROOT
from arrears.channels.render import Renderer
from arrears.compliance.decision_record import strategy_policies
from arrears.config.settings import Settings
from arrears.contracts.housekeeping import ArchiverInput, BureauCycleInput, RescoreInput, SweepInput
from arrears.contracts.names import (
    BUREAU_CYCLE_ID,
    BUREAU_CYCLE_TYPE,
    DESK_SWEEP_ID,
    DESK_SWEEP_TYPE,
    HISTORY_ARCHIVER_ID,
    HISTORY_ARCHIVER_TYPE,
    RISK_RESCORE_ID,
    RISK_RESCORE_TYPE,
)
from arrears.db.engine import engine_for, make_sessionmaker
from arrears.runtime.metrics import MetricsInterceptor
from workflows import WORKFLOWS


def build_activities(settings: Settings) -> CollectionActivities:
    sessions = make_sessionmaker(engine_for(settings))
    return CollectionActivities(sessions, Renderer(settings.templates_dir))


def build_id(settings: Settings) -> str:
    """The code version every workflow task records in the history (WorkflowTaskCompleted)."""
    if settings.build_id:
        return settings.build_id
    try:
        release = version("arrears")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        release = "0"
    return f"arrears-{release}-{code_checksum()[:12]}"


def code_checksum() -> str:
    """SHA-256 over the source of the packages that decide and act: any code change gives a new id."""
    digest = hashlib.sha256()
    for package in ("workflows", "activities", "arrears"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """The sandbox, with our modules imported once for every workflow instead of once per workflow.

    The sandbox still refuses what would break determinism (the clock, randomness, I/O) in workflow code;
    it no longer re-imports every module a workflow uses for each episode in the cache, which cost about
    0.9 MB per cached episode. Our workflow modules keep no mutable module state, which is what sharing
    them requires. ``ARREARS_WORKFLOW_SANDBOX=isolated`` restores per-workflow imports (to rule them out).
    """
    if settings.workflow_sandbox == "off":  # measurement only: no determinism checks at all
        return UnsandboxedWorkflowRunner()
    restrictions = SandboxRestrictions.default
    if settings.workflow_sandbox != "isolated":
        restrictions = restrictions.with_passthrough_all_modules()
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(client: Client, settings: Settings, activities: CollectionActivities | None = None) -> Worker:
    acts = activities or build_activities(settings)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            *acts.all(),
            *DeskActivities(acts.sessions).all(),
            *ArchiveActivities(client, acts.sessions).all(),
            *BureauActivities(acts.sessions, settings.bureau_dir, settings.bureau_institution, settings.strategy).all(),
            *RecoveryActivities(acts.sessions, acts.clock).all(),
            *RecoveryStartActivities(client, settings.task_queue).all(),
            *LedgerActivities(acts.sessions, acts.clock).all(),
            *AccountActionActivities(
                acts.sessions, acts.renderer, acts.adapter, acts.clock, policies=strategy_policies([settings.strategy])
            ).all(),
            *RiskActivities(client, acts.sessions).all(),
        ],
        # Activities and local activities are synchronous (SQLAlchemy): they share this pool of threads.
        activity_executor=ThreadPoolExecutor(settings.worker_max_activities),
        interceptors=[MetricsInterceptor()],
        workflow_runner=workflow_runner(settings),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.worker_max_activities,
        max_concurrent_local_activities=settings.worker_max_local_activities,
        max_concurrent_workflow_tasks=settings.worker_max_workflow_tasks,
        build_id=build_id(settings),
    )


async def run_worker(client: Client, settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then let in-flight tasks finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, settings):
        print(f"worker polling task queue {settings.task_queue!r} on {settings.temporal_address}", flush=True)
        await ensure_desk_sweep(client, settings)
        await ensure_history_archiver(client, settings)
        await ensure_bureau_cycle(client, settings)
        await ensure_risk_rescore(client, settings)
        await stop.wait()


async def ensure_desk_sweep(client: Client, settings: Settings) -> WorkflowHandle:
    """Start the desk sweep unless it runs already (every worker asks; one runs)."""
    return await client.start_workflow(
        DESK_SWEEP_TYPE,
        SweepInput(every_seconds=settings.sweep_minutes * 60),
        id=DESK_SWEEP_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def ensure_history_archiver(client: Client, settings: Settings) -> WorkflowHandle:
    """Start the history archiver unless it runs already (every worker asks; one runs)."""
    return await client.start_workflow(
        HISTORY_ARCHIVER_TYPE,
        ArchiverInput(every_seconds=settings.archive_minutes * 60),
        id=HISTORY_ARCHIVER_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def ensure_bureau_cycle(client: Client, settings: Settings) -> WorkflowHandle:
    """Start the monthly bureau cycle unless it runs already (every worker asks; one runs).

    A running cycle keeps the report day it was started with; to change it,
    terminate ``arrears-bureau-cycle`` and start a worker with the new setting
    (the next period is worked out again; reported periods add nothing).
    """
    return await client.start_workflow(
        BUREAU_CYCLE_TYPE,
        BureauCycleInput(report_day=settings.bureau_day),
        id=BUREAU_CYCLE_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def ensure_risk_rescore(client: Client, settings: Settings) -> WorkflowHandle:
    """Start the risk rescoring schedule unless it runs already (every worker asks; one runs).

    Like the bureau cycle, a running schedule keeps the calendar it was started with; to change
    it, terminate ``arrears-risk-rescore`` and start a worker with the new settings (a rerun of
    the current period changes nothing the first run changed).
    """
    return await client.start_workflow(
        RISK_RESCORE_TYPE,
        RescoreInput(
            rescore_day=settings.rescore_day,
            every_hours=settings.rescore_every_hours or None,
            events_every_minutes=settings.rescore_events_minutes,
        ),
        id=RISK_RESCORE_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
