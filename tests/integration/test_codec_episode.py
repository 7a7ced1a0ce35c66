"""Payload encryption end to end on the dev server.

An episode run with a key leaves no personal data or note readable in any
payload of its raw history, completes, and replays with the key (and not
without it, also through `arrears audit replay`); keys rotate in the middle of
an episode; search attributes carry no personal data.
"""

import asyncio
import base64
import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from typer.testing import CliRunner

from arrears.runtime import search_attributes as sa
from arrears.audit.replay import from_list, replay
from arrears.cli.main import app
from arrears.runtime.codec import ENCODING, KEY_ID, _payloads, data_converter, decrypt_history, parse_keys
from arrears.contracts.collection import (
    EpisodeResult,
    HoldInput,
    HoldResult,
    OutcomeInput,
    OutcomeResult,
    PromiseInput,
    PromiseResult,
    ReleaseHoldInput,
)
from arrears.db.models import CollectorTask
from arrears.runtime.worker import build_worker
from tests.workflow.helpers import Scenario, account_row

K1 = base64.b64encode(bytes(range(1, 33))).decode()
K2 = base64.b64encode(bytes(range(101, 133))).decode()
NOTES = {
    "promise": "她丈夫下个月发工资 husband's payday PRIVATE-NOTE-1",
    "hold": "customer wrote about her illness PRIVATE-NOTE-2",
    "outcome": "spoke to the daughter at home PRIVATE-NOTE-3",
    "close": "customer deceased, per family PRIVATE-NOTE-4",
}


def _client(base: Client, keys: str | None) -> Client:
    return Client(base.service_client, namespace=base.namespace,
                  data_converter=data_converter(parse_keys(keys) if keys else None))


def _personal(row) -> list[str]:
    return [row.customer_name, row.phone, row.email, row.billing_address, *NOTES.values()]


def _leaks(history: WorkflowHistory, needles: list[str]) -> list[str]:
    """Each needle found in the history's JSON or in any payload's bytes, as stored."""
    text = history.to_json()
    blobs = [p.data for event in history.events for p in _payloads(event)]
    return [n for n in needles if n in text or any(n.encode() in b for b in blobs)]


def _search_attribute_values(history: WorkflowHistory) -> dict[str, list]:
    found: dict[str, list] = {}
    for event in history.events:
        for attrs in (event.workflow_execution_started_event_attributes.search_attributes,
                      event.upsert_workflow_search_attributes_event_attributes.search_attributes):
            for name, payload in attrs.indexed_fields.items():
                found.setdefault(name, []).append(json.loads(payload.data))
    return found


async def _task(sc: Scenario, account_id: str, kind: str, timeout: float = 60) -> CollectorTask:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        with sc.sessions() as s:
            task = s.scalars(select(CollectorTask).where(CollectorTask.account_id == account_id,
                                                         CollectorTask.kind == kind)).first()
        if task is not None:
            return task
        await asyncio.sleep(0.3)
    raise AssertionError(f"no {kind} task for {account_id} within {timeout} s")


async def test_an_encrypted_episode_keeps_personal_data_and_notes_out_of_temporal(dev_env, migrated_sqlite):
    client = _client(dev_env.client, f"k1={K1}")
    sc = Scenario(client, migrated_sqlite)
    account = f"ENC{uuid.uuid4().hex[:6].upper()}"
    today = datetime.now(timezone.utc).date()
    # DPD 2 with 2-second days: the DPD 3 call opens within seconds.
    row = account_row(account, today - timedelta(days=2), tz="Asia/Shanghai")
    async with sc.worker():
        handle = await sc.start(row, day_seconds=2)
        call = await _task(sc, account, "call")
        taken = await handle.execute_update("promise_to_pay", PromiseInput(
            promise_id="P-1", amount=Decimal("300.00"), promised_date=today + timedelta(days=10), collector_id="c-1",
            note=NOTES["promise"]), result_type=PromiseResult)
        assert taken.status == "active"
        await handle.execute_update("log_contact_outcome", OutcomeInput(
            task_id=call.id, outcome="promise_made", collector_id="c-1", note=NOTES["outcome"]), result_type=OutcomeResult)
        await handle.execute_update("place_hold", HoldInput(
            hold_id="H-1", hold_type="complaint", channel="call", reason=NOTES["hold"], placed_by="c-1"),
            result_type=HoldResult)
        await handle.execute_update("release_hold", ReleaseHoldInput(hold_id="H-1", released_by="sup-1"),
                                    result_type=HoldResult)
        await handle.execute_update("close", {"reason": NOTES["close"], "operator_id": "ops-1"})
        result = await handle.result()
    assert isinstance(result, EpisodeResult) and result.outcome.value == "closed"

    raw = await dev_env.client.get_workflow_handle(handle.id).fetch_history()  # as the server keeps it
    payloads = [p for event in raw.events for p in _payloads(event)]
    sealed = [p for p in payloads if p.metadata.get("encoding") == ENCODING]
    assert len(sealed) > 20 and {p.metadata[KEY_ID] for p in sealed} == {b"k1"}
    # In clear: search attributes (no codec covers them), the SDK's patch markers, which name a patch id
    # only, and its local-activity markers' bookkeeping (sequence, attempt, activity type, times); the
    # local activities' results are sealed like every other payload.
    plain = [(e.event_type, p) for e in raw.events for p in _payloads(e) if p.metadata.get("encoding") != ENCODING]
    markers = [json.loads(p.data) for kind, p in plain if kind == EventType.EVENT_TYPE_MARKER_RECORDED]
    patch, local = {"id", "deprecated"}, {"seq", "attempt", "activity_id", "activity_type", "complete_time",
                                          "backoff", "original_schedule_time", "activation_index"}
    assert markers and all(set(m) == patch or set(m) <= local for m in markers), [sorted(m) for m in markers]
    assert any(m.get("activity_type") == "open_episode" for m in markers)
    assert all(p.metadata.get("type") for kind, p in plain if kind != EventType.EVENT_TYPE_MARKER_RECORDED)
    assert _leaks(raw, _personal(row)) == []
    # The scan can fail: opened with the key, the same history shows every note.
    assert sorted(_leaks(decrypt_history(raw, client.data_converter.payload_codec), list(NOTES.values()))) == sorted(NOTES.values())

    # Search attributes, which no codec covers, carry stage, bucket, segment and amounts only.
    values = _search_attribute_values(raw)
    assert set(values) <= {a.name for a in sa.ALL} | {"TemporalChangeVersion"}  # the SDK's: patch ids
    described = (await handle.describe()).search_attributes
    rendered = json.dumps({k: [str(v) for v in vs] for k, vs in values.items()}, ensure_ascii=False) + str(described)
    assert [n for n in _personal(row) if n in rendered] == []

    ok = await replay(from_list([raw]), data_converter=client.data_converter)
    assert [line.ok for line in ok] == [True]
    without = await replay(from_list([raw]))
    assert [line.ok for line in without] == [False] and "encrypted and no keys are configured" in without[0].failure

    runner = CliRunner()
    address = dev_env.client.service_client.config.target_host
    args = ["--address", address, "--database-url", migrated_sqlite, "audit", "replay", "--workflow-id", handle.id]
    keyed = await asyncio.to_thread(runner.invoke, app, args, env={"ARREARS_CODEC_KEYS": f"k1={K1}", "COLUMNS": "250"})
    assert keyed.exit_code == 0 and "1 replayed, 0 nondeterministic" in keyed.output, keyed.output
    keyless = await asyncio.to_thread(runner.invoke, app, args, env={"COLUMNS": "250"})
    assert keyless.exit_code == 1 and "ARREARS_CODEC_KEYS" in " ".join(keyless.output.split())


async def test_keys_rotate_in_the_middle_of_an_episode(dev_env, migrated_sqlite):
    before = _client(dev_env.client, f"k1={K1}")
    after = _client(dev_env.client, f"k2={K2},k1={K1}")
    sc = Scenario(before, migrated_sqlite)
    account = f"ROT{uuid.uuid4().hex[:6].upper()}"
    today = datetime.now(timezone.utc).date()
    row = account_row(account, today - timedelta(days=1), tz="Asia/Shanghai")
    async with build_worker(before, sc.settings, sc.activities):
        handle = await sc.start(row, day_seconds=3600)
        await handle.execute_update("promise_to_pay", PromiseInput(
            promise_id="P-1", amount=Decimal("300.00"), promised_date=today + timedelta(days=5), collector_id="c-1",
            note=NOTES["promise"]), result_type=PromiseResult)
    # The same task queue, the worker and client restarted with a new key first and the old one kept.
    async with build_worker(after, sc.settings, sc.activities):
        moved = after.get_workflow_handle(handle.id, result_type=EpisodeResult)
        status = await moved.query("status")
        assert status["active_promise"]["promise_id"] == "P-1"  # read back what k1 sealed
        await moved.execute_update("close", {"reason": NOTES["close"], "operator_id": "ops-1"})
        assert (await moved.result()).outcome.value == "closed"

    raw = await dev_env.client.get_workflow_handle(handle.id).fetch_history()
    ids = {p.metadata[KEY_ID] for event in raw.events for p in _payloads(event) if p.metadata.get("encoding") == ENCODING}
    assert ids == {b"k1", b"k2"}
    assert _leaks(raw, _personal(row)) == []
    assert [line.ok for line in await replay(from_list([raw]), data_converter=after.data_converter)] == [True]
    only_new = await replay(from_list([raw]), data_converter=_client(dev_env.client, f"k2={K2}").data_converter)
    assert [line.ok for line in only_new] == [False] and "'k1', which is not configured" in only_new[0].failure
