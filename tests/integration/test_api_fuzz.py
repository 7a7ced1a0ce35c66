"""A schema-driven fuzz of the desk API (schemathesis), against the real server, a real worker and the dev server.

Every operation in the OpenAPI document gets generated requests, valid and
invalid, with a fixed seed and a bounded number of examples: first with
generated path values, then aimed at a running episode and its open task so
that the requests reach the workflow. No answer may be a 5xx other than the
documented 503, and none may take longer than the client's timeout (a hang).
"""

import asyncio
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from arrears.api.app import create_app
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from tests.integration.test_codec_episode import _task
from tests.workflow.helpers import Scenario, account_row

EXAMPLES = 12
TIMEOUT = 30  # seconds; an answer slower than this is a hang
ROSTER = ("collector_id,name,team,role,languages,regions,daily_capacity\n"
          "fz-c,Li Na,east,collector,zh-CN,,50\nfz-boss,Chen Jie,hq,manager,zh-CN,,5\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """The desk API under uvicorn on a thread of its own, reaching Temporal by its own client."""

    def __init__(self, app) -> None:
        self.port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(20)


def _fuzz(base_url: str, token: str, fixed: dict[str, dict]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    problems: list[str] = []
    auth = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            path_parameters = {k: v for k, v in fixed.get("path", {}).items()
                               if any(p.name == k for p in operation.path_parameters)}

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
            def run(case) -> None:
                started = time.monotonic()
                try:
                    response = case.call(base_url=base_url, headers=auth, timeout=TIMEOUT)
                except Exception as exc:  # noqa: BLE001 - a timeout or a dropped connection is the finding
                    problems.append(f"{operation.label} [{mode.value}]: {type(exc).__name__} after "
                                    f"{time.monotonic() - started:.1f} s: {case.as_curl_command()}")
                    return
                if response.status_code >= 500 and response.status_code != 503:
                    problems.append(f"{operation.label} [{mode.value}]: {response.status_code} {response.text[:200]} "
                                    f"for {case.as_curl_command()}")

            try:
                run()
            except Unsatisfiable:
                pass  # nothing invalid to send (an operation without parameters, in the negative mode)
    return problems


async def test_the_desk_api_answers_every_generated_request_without_5xx_or_hang(dev_env, migrated_sqlite, tmp_path):
    sc = Scenario(dev_env.client, migrated_sqlite)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    now = datetime.now(timezone.utc)
    import_roster(sc.sessions, roster, now)
    token = issue_token(sc.sessions, "fz-boss", now)  # a manager: every account is in scope, so requests go deep
    account = f"FZ{uuid.uuid4().hex[:6].upper()}"
    today = now.date()
    row = account_row(account, today - timedelta(days=2), tz="Asia/Shanghai")
    settings_ = sc.settings.model_copy(update={
        "temporal_address": dev_env.client.service_client.config.target_host,
        "temporal_namespace": dev_env.client.namespace, "api_rate_per_minute": 100_000,
        "evidence_dir": tmp_path / "evidence", "evidence_max_bytes": 64 * 1024, "api_temporal_timeout": 10,
    })
    app = create_app(settings_, sessions=sc.sessions)  # connects to Temporal itself, as in production
    async with sc.worker():
        await sc.start(row, day_seconds=2)
        task = await _task(sc, account, "call", timeout=120)
        with _Server(app) as base_url:
            ready = await asyncio.to_thread(_ready, base_url)
            assert ready == 200, "the API never reached Temporal"
            wide = await asyncio.to_thread(_fuzz, base_url, token, {})
            aimed = await asyncio.to_thread(_fuzz, base_url, token, {"path": {"account_id": account, "task_id": task.id}})
    assert wide + aimed == []


def _ready(base_url: str) -> int:
    import requests

    deadline = time.monotonic() + 30
    while True:
        status = requests.get(f"{base_url}/readyz", timeout=5).status_code
        if status == 200 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
