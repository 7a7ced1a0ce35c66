"""Shared fixtures: databases (SQLite always, PostgreSQL where it answers) and Temporal servers.

PostgreSQL tests skip with a clear message when no server answers, unless
ARREARS_REQUIRE_POSTGRES=1 (set by .ci/run), which turns the skip into a failure.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from arrears import PROJECT_ROOT
# Loaded before any worker runs: tests call the CLI in a thread beside a worker, and a module first imported
# while a workflow activation holds the sandbox's import hook is imported through it (and fails).
import arrears.runtime.connect  # noqa: E402,F401 - cryptography, through arrears.runtime.codec
from arrears.runtime import search_attributes as sa
from arrears.db.migrate import upgrade

POSTGRES_URL = os.environ.get("ARREARS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("ARREARS_REQUIRE_POSTGRES") == "1"

DEFAULT_STRATEGY = PROJECT_ROOT / "strategies" / "default.toml"


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_problem()
    if problem:
        message = f"PostgreSQL not reachable at {POSTGRES_URL} ({problem}); set ARREARS_TEST_POSTGRES_URL"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " -- required here because ARREARS_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"arrears_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'arrears.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_url(request) -> str:
    """Run a data-layer test on both backends."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def migrated_sqlite(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    return sqlite_url


# ---- Temporal -------------------------------------------------------------------


def _binary(name: str) -> str:
    path = shutil.which(name) or str(Path(os.sys.executable).parent / name)
    if not Path(path).exists():
        pytest.fail(f"{name} not found: install the dev extras (make setup)")
    return path


_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
}


def until_time_of_day(now: datetime, hhmm: str) -> timedelta:
    """How long from ``now`` until the next ``hhmm`` UTC (a whole day when it is that time now)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    target = now.astimezone(timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return target - now


@pytest_asyncio.fixture
async def time_env() -> WorkflowEnvironment:
    """A time-skipping server of the test's own (it starts in about 0.1 s).

    One server for the whole session let each test's leftovers reach the next:
    the clock ran on by a century (the server jumps to far-off timeouts while a
    test awaits a result) and a workflow left waiting on an activity stopped
    time for every later test."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"), data_converter=pydantic_data_converter
    )
    # Custom search attributes must exist before a workflow upserts them.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={key.name: _INDEXED[kind] for key, kind in sa.KINDS.items()},
        )
    )
    # ARREARS_TEST_CLOCK_DAYS=N starts every test N days from today: a way to try the suite on
    # the dates that matter (weekends, holidays, month and year ends) without waiting for them.
    offset = float(os.environ.get("ARREARS_TEST_CLOCK_DAYS", "0"))
    if offset:
        await env.sleep(timedelta(days=offset))
    # ARREARS_TEST_CLOCK_AT=HH:MM moves on to the next such time of day (UTC): the hours when the
    # account's zone is already on another date than UTC (Asia/Shanghai from 16:00) are the ones to try.
    at = os.environ.get("ARREARS_TEST_CLOCK_AT")
    if at:
        await env.sleep(until_time_of_day(await env.get_current_time(), at))
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(sa.ALL),
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()
