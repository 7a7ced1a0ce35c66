"""The worker's Prometheus endpoint (ARREARS_METRICS_PORT): the SDK's metrics and ours, scraped for real."""

import asyncio
import socket
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter

from arrears.contracts.collection import PaymentInput
from arrears.domain.delinquency import local_date
from arrears.runtime.metrics import runtime_for
from tests.workflow.helpers import Scenario, account_row


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


async def test_the_worker_serves_step_update_and_sdk_metrics(dev_env, migrated_sqlite):
    port = _free_port()
    client = await Client.connect(dev_env.client.service_client.config.target_host, runtime=runtime_for(port, "127.0.0.1"),
                                  data_converter=pydantic_data_converter)
    sc = Scenario(client, migrated_sqlite)
    account = f"MET{uuid.uuid4().hex[:6].upper()}"
    due = local_date(datetime.now(timezone.utc), "Asia/Shanghai") - timedelta(days=3)
    async with sc.worker():
        handle = await sc.start(account_row(account, due), day_seconds=2)  # steps within seconds
        try:
            await handle.execute_update("record_payment", PaymentInput(payment_id="M-1", amount=Decimal("-5")))
        except WorkflowUpdateFailedError:
            pass
        await handle.execute_update("record_payment", PaymentInput(payment_id="M-2", amount=Decimal("10.00")))
        text = ""
        for _ in range(60):  # the exporter publishes on its own schedule
            text = await asyncio.to_thread(_scrape, port)
            if "arrears_updates" in text and 'result="rejected"' in text and "arrears_steps" in text:
                break
            await asyncio.sleep(1)
        await handle.terminate("test done")
    assert 'update="record_payment"' in text and 'result="rejected"' in text and 'result="accepted"' in text
    assert "arrears_steps" in text
    assert "temporal_workflow_completed" in text or "temporal_request" in text  # the SDK's own
