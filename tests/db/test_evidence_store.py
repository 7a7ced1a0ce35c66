"""The evidence store: content-addressed, capped, sniffed; records cite ids; bundles copy only from the store."""

import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from arrears.audit.bundle import export
from arrears.cli.main import app
from arrears.contracts.collection import HoldInput, OutcomeInput
from arrears.contracts.collection_activities import OutcomeCommand
from arrears.db.models import ContactOutcomeRecord, EvidenceFile, Hold
from arrears.domain.legal import LegalEvent
from arrears.domain.outcome import VisitReport
from arrears.domain.strategy import Action
from arrears.audit.evidence_store import EvidenceRefused, EvidenceStore, add_local_file, record, sniff
from tests.db.test_activities_idempotency import NOW, account_row, env, step_cmd  # noqa: F401 - env is a fixture

PDF = b"%PDF-1.7\n a court order\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF photo of the door"
TYPES = ("application/pdf", "image/jpeg", "image/png")


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", 4096, TYPES)


def stored_files(store: EvidenceStore) -> list:
    return sorted(p for p in (store.root / "sha256").rglob("*") if p.is_file())


def test_the_same_bytes_are_stored_once_and_on_record_once(env, store):
    env.add_account(account_row("EV1"))
    env.add_account(account_row("EV2"))
    first = record(env.sessions, "EV1", store.put([PDF[:5], PDF[5:]]), uploaded_by="c1", source="api",
                   filename="order.pdf", now=NOW)
    again = record(env.sessions, "EV1", store.put([PDF]), uploaded_by="c2", source="cli", filename="copy.pdf", now=NOW)
    other = record(env.sessions, "EV2", store.put([PDF]), uploaded_by="c3", source="api", filename="o.pdf", now=NOW)
    assert first.evidence_id == "ev-" + first.sha256 and first.media_type == "application/pdf" and not first.duplicate
    assert again.duplicate and again.evidence_id == first.evidence_id and again.filename == "order.pdf"
    assert not other.duplicate  # the same file for another account is that account's own record
    assert len(stored_files(store)) == 1 and stored_files(store)[0].read_bytes() == PDF
    assert env.count(EvidenceFile) == 2
    assert not any((store.root / "incoming").iterdir())


def test_types_are_sniffed_from_the_bytes_and_allow_listed(store):
    assert sniff(PDF) == "application/pdf" and sniff(JPEG) == "image/jpeg" and sniff(b"GIF89a") is None
    with pytest.raises(EvidenceRefused, match="unrecognised file type"):
        store.put([b"#!/bin/sh\nrm -rf /\n"])
    with pytest.raises(EvidenceRefused, match="image/webp is not accepted"):
        store.put([b"RIFF\x00\x00\x00\x00WEBPVP8 "])
    with pytest.raises(EvidenceRefused, match="empty"):
        store.put([])
    assert stored_files(store) == [] and not any((store.root / "incoming").iterdir())


def test_the_cap_stops_a_stream_without_reading_it_all(store):
    served = []

    def endless():
        yield PDF
        while True:
            served.append(1)
            yield b"\0" * 1024

    with pytest.raises(EvidenceRefused) as refused:
        store.put(endless())
    assert refused.value.too_large and "4096 bytes" in str(refused.value)
    assert len(served) <= 5 and stored_files(store) == [] and not any((store.root / "incoming").iterdir())


def test_dev_zero_a_fifo_or_a_directory_cannot_be_evidence(env, store, tmp_path):
    env.add_account(account_row("EV3"))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "innocent.pdf"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), fifo, tmp_path, link):
        done = threading.Event()
        outcome: list = []

        def attempt(p=path):
            try:
                add_local_file(env.sessions, store, "EV3", p, uploaded_by="ops", now=NOW)
            except EvidenceRefused as exc:
                outcome.append(str(exc))
            done.set()

        threading.Thread(target=attempt, daemon=True).start()
        assert done.wait(5), f"{path} hung the upload"
        assert outcome and "not a regular file" in outcome[0]


def test_records_name_evidence_by_id_never_by_path():
    for path in ("/dev/zero", "../../.arrears/arrears.db", ".arrears/arrears.db", "C:\\evidence\\x.pdf", "~/x.pdf"):
        with pytest.raises(ValidationError, match="evidence_ref"):
            HoldInput(hold_id="H1", hold_type="dispute", reason="r", evidence_ref=path, placed_by="c1")
        with pytest.raises(ValidationError, match="evidence_files"):
            VisitReport(address_verified=True, met_cardholder=True, evidence_files=[path])
        with pytest.raises(ValidationError, match="document"):
            LegalEvent(event_id="e1", on=NOW.date(), by="lawyer", document_path=path)
        with pytest.raises(ValidationError, match="document_id"):
            LegalEvent(event_id="e1", on=NOW.date(), by="lawyer", document_id=path)
    assert HoldInput(hold_id="H1", hold_type="dispute", reason="r", evidence_ref="(2026)沪0115民初1234号",
                     placed_by="c1").evidence_ref == "(2026)沪0115民初1234号"  # an outside reference, never opened
    with pytest.raises(ValidationError, match="evidence_files"):
        VisitReport(address_verified=True, met_cardholder=True, evidence_files=["ev-" + "a" * 64] * 21)


def test_a_visit_outcome_records_the_cited_files_hashes_from_the_store(env, store):
    env.add_account(account_row("EV4"))
    episode = env.open("EV4")
    photo = record(env.sessions, "EV4", store.put([JPEG]), uploaded_by="f-1", source="api", filename="door.jpg", now=NOW)
    task_id = env.acts.execute_step(step_cmd("EV4", episode, Action.VISIT, "late-visit")).record_id
    unknown = "ev-" + "0" * 64
    env.acts.record_outcome(OutcomeCommand(episode_id=episode, account_id="EV4", recorded_at=NOW, outcome=OutcomeInput(
        task_id=task_id, outcome="right_party_contact", collector_id="f-1",
        visit=VisitReport(address_verified=True, met_cardholder=True, evidence_files=[photo.evidence_id, unknown]))))
    [row] = env.rows(ContactOutcomeRecord)
    assert row.visit["evidence"] == [
        {"evidence_id": photo.evidence_id, "sha256": photo.sha256, "missing": False},
        {"evidence_id": unknown, "sha256": None, "missing": True},
    ]


def test_a_bundle_copies_the_accounts_evidence_from_the_store_only(env, store, tmp_path):
    env.add_account(account_row("EV5"))
    episode = env.open("EV5")
    letter = record(env.sessions, "EV5", store.put([PDF]), uploaded_by="c1", source="api", filename="letter.pdf", now=NOW)
    secret = tmp_path / "not-evidence.txt"
    secret.write_text("the whole customer database", encoding="utf-8")
    # A visit report from before the store named a path: listed in the index, never opened.
    task_id = env.acts.execute_step(step_cmd("EV5", episode, Action.VISIT, "late-visit")).record_id
    with env.sessions.begin() as s:
        for hold_id, ref in (("H1", letter.evidence_id), ("H2", "CASE-26-1234")):
            s.add(Hold(account_id="EV5", hold_id=hold_id, episode_id=episode, hold_type="dispute", reason="r",
                       evidence_ref=ref, placed_by="c1", placed_at=NOW, status="active"))
    env.acts.record_outcome(OutcomeCommand(episode_id=episode, account_id="EV5", recorded_at=NOW, outcome=OutcomeInput(
        task_id=task_id, outcome="no_answer", collector_id="f-1",
        visit=VisitReport(address_verified=False, met_cardholder=False))))
    with env.sessions.begin() as s:
        outcome = s.scalars(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == task_id)).one()
        outcome.visit = {**outcome.visit, "evidence": [{"path": str(secret), "sha256": None, "missing": False}]}

    with env.sessions() as s:
        report = export(s, "EV5", [], [], tmp_path / "bundle", NOW + timedelta(days=1), store=store)
    bundle = tmp_path / "bundle"
    copied = sorted(p.name for p in (bundle / "evidence").iterdir())
    assert copied == [f"{letter.evidence_id}.pdf", "index.json"]
    assert (bundle / "evidence" / f"{letter.evidence_id}.pdf").read_bytes() == PDF
    index = json.loads((bundle / "evidence" / "index.json").read_text(encoding="utf-8"))
    assert index["files"][0]["cited_by"] == ["hold H1"] and index["files"][0]["uploaded_by"] == "c1"
    kinds = {r["reference"]: r["kind"] for r in index["references"]}
    assert kinds == {"CASE-26-1234": "outside reference (a document held elsewhere)",
                     f"path {secret}": "recorded before the evidence store (not opened)"}
    assert "the whole customer database" not in "".join(p.read_text(errors="ignore") for p in bundle.rglob("*") if p.is_file())
    assert report.missing_evidence == []

    # Bytes altered in the store are not passed off as evidence.
    stored = store.path_of(letter.sha256)
    os.chmod(stored, 0o640)
    stored.write_bytes(PDF + b"forged")
    with env.sessions() as s:
        altered = export(s, "EV5", [], [], tmp_path / "bundle2", NOW, store=store)
    assert not (tmp_path / "bundle2" / "evidence" / f"{letter.evidence_id}.pdf").exists()
    assert altered.missing_evidence and letter.evidence_id in altered.missing_evidence[0]


def test_the_cli_adds_and_lists_evidence(env, tmp_path, any_db_url):
    env.add_account(account_row("EV6"))
    runner = CliRunner()
    settings = {"ARREARS_EVIDENCE_DIR": str(tmp_path / "ev"), "COLUMNS": "250"}
    photo = tmp_path / "door.jpg"
    photo.write_bytes(JPEG)
    added = runner.invoke(app, ["--database-url", any_db_url, "evidence", "add", "EV6", str(photo), "--by", "f-1"],
                          env=settings)
    assert added.exit_code == 0, added.output
    evidence_id = added.stdout.strip()
    assert evidence_id.startswith("ev-") and "image/jpeg" in added.output
    listed = runner.invoke(app, ["--database-url", any_db_url, "evidence", "list", "EV6"], env=settings)
    assert evidence_id in listed.output and "door.jpg" in listed.output and "1 file(s)" in listed.output
    zero = runner.invoke(app, ["--database-url", any_db_url, "evidence", "add", "EV6", "/dev/zero", "--by", "f-1"],
                         env=settings)
    assert zero.exit_code == 2 and "not a regular file" in zero.output
    nobody = runner.invoke(app, ["--database-url", any_db_url, "evidence", "add", "NOPE", str(photo), "--by", "f-1"],
                           env=settings)
    assert nobody.exit_code == 2 and "no account NOPE" in nobody.output
    with env.sessions() as s:
        assert s.scalars(select(EvidenceFile.source)).all() == ["cli"]
