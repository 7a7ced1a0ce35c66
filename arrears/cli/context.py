"""What every command shares: the settings, the consoles, the Temporal client, the database.

The root callback (arrears.cli.main) loads the settings into ``state`` and
hands it to the commands as the typer context's ``obj``; the helpers below
read it from there. Command modules import this module and arrears.cli.errors,
never each other and never arrears.cli.main.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Console

from arrears.audit.archive import ArchiveCorrupt
from arrears.cli.errors import BAD_INPUT, CliError, current_click_context, fail
from arrears.client.clock import collection_now as episode_now
from arrears.client.clock import known_now
from arrears.client.operations import Rejected
from arrears.config.settings import Settings
from arrears.config.strategies import load_strategy
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.models import CollectorTask
from arrears.domain.strategy import StrategyError
from arrears.runtime.connect import connect

console = Console()
err = Console(stderr=True)


@dataclass
class AppState:
    settings: Settings | None = None
    # A process that made a Temporal client leaves without interpreter teardown (see arrears.cli.main.run).
    used_temporal: bool = False


# One per process: every command module reads the same settings.
state = AppState()


def current() -> AppState:
    """The state the root callback put on the typer context (the process's one outside a command)."""
    ctx = current_click_context()
    found = ctx.find_root().obj if ctx is not None else None
    return found if isinstance(found, AppState) else state


def current_settings() -> Settings:
    settings = current().settings
    if settings is None:  # only a command run without the root callback gets here
        raise CliError("settings not loaded: run the command through `arrears`")
    return settings


def uses_temporal() -> None:
    current().used_temporal = True


def run_async(coro):
    """Run a coroutine; its failures are reported after the event loop has closed.

    Exiting from inside the loop while the Temporal client is half set up can
    crash the interpreter at shutdown, so errors travel out as exceptions.
    """
    try:
        return asyncio.run(coro)
    except (CliError, Rejected, ArchiveCorrupt) as exc:
        fail(exc)


async def temporal_client():
    settings = current_settings()
    uses_temporal()
    try:
        return await connect(settings)
    except RuntimeError as exc:
        raise CliError(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None


def session_factory():
    return make_sessionmaker(make_engine(current_settings().database_url))


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_moment(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"not an ISO time: {value!r}", BAD_INPUT)
    if moment.tzinfo is None:
        fail(f"give the time with its UTC offset, e.g. {value}+08:00", BAD_INPUT)
    return moment


def configured_policy():
    """The configured strategy's contact policy, for tasks opened before tasks kept their own; None
    (the baseline) when the strategy file does not load."""
    try:
        return load_strategy(current_settings().strategy).compliance
    except StrategyError:
        return None


def task_account(task_id: int) -> str:
    with session_factory()() as session:
        task = session.get(CollectorTask, task_id)
        if task is None:
            fail(f"no task {task_id}", BAD_INPUT)
        return task.account_id


async def collection_now(account_id: str) -> datetime:
    """The account's episode time now (arrears.client.clock); the record's answer when Temporal
    cannot be reached."""
    try:
        client = await temporal_client()
    except CliError:
        with session_factory()() as session:
            return known_now(session, account_id, utcnow())
    return await episode_now(client, session_factory(), account_id, utcnow())
