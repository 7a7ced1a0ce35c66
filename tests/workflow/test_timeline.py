"""The auditor's timeline for a scenario account: every event in order with its cause; CSV and
JSON carry the same rows."""

import asyncio
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

from arrears.contracts.collection import PaymentInput, PaymentResult, PromiseInput, PromiseResult
from arrears.intake.csvfile import safe_cell
from arrears.audit.timeline import COLUMNS, from_history, from_record, ordered, render
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _today

TZ = "Asia/Shanghai"


async def test_a_scenario_account_timeline_in_order_with_causes(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("TL1", today - timedelta(days=2), segment="medium")
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        await sc.wait_for_task(time_env, "TL1", "call")
        await handle.execute_update("promise_to_pay", PromiseInput(
            promise_id="P-1", amount=Decimal("300.00"), promised_date=today + timedelta(days=5), collector_id="c-9"),
            result_type=PromiseResult)
        await time_env.sleep(days(1))
        await handle.execute_update("record_payment", PaymentInput(payment_id="BANK-1", amount=Decimal("300.00")),
                                    result_type=PaymentResult)
        await time_env.sleep(days(2))
        await handle.execute_update("close", {"reason": "test done", "operator_id": "ops-1"})
        await handle.result()
        history = await handle.fetch_history()
    with sc.sessions() as s:
        entries = ordered(from_record(s, "TL1") + from_history(history))
    kinds = [e.kind for e in entries]
    assert kinds[0] == "run" and "task:call" in kinds and "promise" in kinds and "payment" in kinds
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    call = next(e for e in entries if e.kind == "task:call")
    assert call.cause.startswith("strategy step early-call") and call.dpd == 3
    updates = [e for e in entries if e.kind == "update"]
    assert [(u.what, u.cause) for u in updates] == [
        ("promise_to_pay accepted", "collector_id c-9"), ("record_payment accepted", "-"), ("close accepted", "operator_id ops-1")]
    assert any(e.kind == "stage" for e in entries) and any(e.kind == "timer" for e in entries)
    promise = next(e for e in entries if e.kind == "promise")
    assert "kept" in promise.what and promise.cause == "collector c-9"

    as_json = json.loads(render(entries, "json"))
    as_csv = list(csv.DictReader(io.StringIO(render(entries, "csv"))))
    assert len(as_json) == len(as_csv) == len(entries)
    assert list(as_csv[0]) == list(COLUMNS)
    for j, c in zip(as_json, as_csv, strict=True):
        # The CSV shows a formula-leading cell as text (a leading '), the JSON as it is.
        assert {k: "" if v is None else str(safe_cell(v)) for k, v in j.items()} == c

    from typer.testing import CliRunner

    from arrears.cli.main import app

    printed = await asyncio.to_thread(CliRunner().invoke, app, [
        "--database-url", migrated_sqlite, "audit", "timeline", "TL1", "--format", "csv", "--no-history"])
    assert printed.exit_code == 0, printed.output
    assert len(list(csv.DictReader(io.StringIO(printed.stdout)))) == len([e for e in entries if e.source == "record"])


async def test_an_evidence_bundle_verifies_and_names_a_changed_byte(time_env, migrated_sqlite, tmp_path):
    from sqlalchemy import select, update
    from typer.testing import CliRunner

    from arrears.cli.main import app
    from arrears.contracts.collection import HoldInput, HoldResult
    from arrears.db.models import ContactAttempt

    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("TL2", today - timedelta(days=2), segment="medium")
    letter = tmp_path / "dispute letter.pdf"
    letter.write_bytes(b"%PDF-1.4 the cardholder disputes the amount")
    address = time_env.client.service_client.config.target_host
    base = ["--address", address, "--database-url", migrated_sqlite]
    store = {"ARREARS_EVIDENCE_DIR": str(tmp_path / "evidence")}
    runner = CliRunner()
    async with sc.worker():
        handle = await sc.start(row, now=await time_env.get_current_time())
        added = await asyncio.to_thread(runner.invoke, app, base + ["evidence", "add", "TL2", str(letter), "--by", "c-9"],
                                        env=store)
        assert added.exit_code == 0, added.output
        letter_id = added.stdout.strip()
        await sc.wait_for_task(time_env, "TL2", "call")
        await handle.execute_update("place_hold", HoldInput(
            hold_id="H-1", hold_type="complaint", reason="rude call", evidence_ref=letter_id, placed_by="c-9",
            channel="call"), result_type=HoldResult)
        await handle.execute_update("close", {"reason": "test done", "operator_id": "ops-1"})
        await handle.result()
    bundle = tmp_path / "bundle"
    exported = await asyncio.to_thread(runner.invoke, app, base + ["audit", "export", "TL2", "--out", str(bundle)],
                                       env=store)
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((bundle / "manifest.json").read_text())
    paths = {f["path"] for f in manifest["files"]}
    assert {"timeline.json", "timeline.csv", "contact_chain.txt", "evidence/index.json"} <= paths
    assert any(p.startswith("histories/arrears-TL2_") for p in paths) and any(p.startswith("messages/") for p in paths)
    assert (bundle / "evidence" / f"{letter_id}.pdf").read_bytes() == letter.read_bytes()
    assert f"evidence/{letter_id}.pdf" in paths
    story = json.loads((bundle / "timeline.json").read_text())
    assert any(e["kind"] == "hold:complaint" for e in story) and any(e["kind"] == "update" for e in story)
    assert (bundle / "contact_chain.txt").read_text().endswith("intact\n")

    ok = await asyncio.to_thread(runner.invoke, app, ["audit", "verify", str(bundle)])
    assert ok.exit_code == 0 and f"{len(paths)} file(s) match the manifest" in " ".join(ok.output.split()), ok.output
    message = next(bundle / p for p in sorted(paths) if p.startswith("messages/"))
    data = bytearray(message.read_bytes())
    data[-2] ^= 0x01  # one byte
    message.write_bytes(bytes(data))
    (bundle / "note.txt").write_text("slipped in")
    bad = await asyncio.to_thread(runner.invoke, app, ["audit", "verify", str(bundle)])
    assert bad.exit_code == 1, bad.output
    name = message.relative_to(bundle).as_posix()
    assert f"{name}: changed" in bad.output and "note.txt: added" in bad.output

    # A contact row edited in the database behind the system's back is named by the chain check.
    with sc.sessions.begin() as s:
        first = s.scalar(select(ContactAttempt.id).where(ContactAttempt.account_id == "TL2").order_by(ContactAttempt.id))
        s.execute(update(ContactAttempt).where(ContactAttempt.id == first).values(recipient="+86 139 0000 0000"))
    chain = await asyncio.to_thread(runner.invoke, app, base + ["audit", "verify-chain", "TL2"])
    assert chain.exit_code == 1 and f"contact {first}" in chain.output, chain.output
