"""Evidence bundles for a court or regulator: one account's story, sealed with checksums.

A bundle is a directory: the timeline (JSON and CSV), every workflow run's
history JSON (decrypted when payloads are encrypted: protect the bundle),
every rendered message, every file in the evidence store for the account
(copied from the store and checked against its SHA-256; the records that cite
each one, and outside references, in ``evidence/index.json``), the contact
chain's check, and ``manifest.json`` listing
each file with its SHA-256 and size. ``manifest.sha256`` seals the manifest
itself. Verifying recomputes every checksum and names each file that was
changed, removed or added since export.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowHistory

from arrears.audit.evidence_chain import verify_chain
from arrears.audit.evidence_store import EvidenceStore, extension_for, for_account
from arrears.audit.timeline import Entry, render
from arrears.db.models import ContactAttempt, ContactOutcomeRecord, Hold, LegalCaseEvent
from arrears.domain.evidence_ids import is_evidence_id

MANIFEST = "manifest.json"
SEAL = "manifest.sha256"
FORMAT = "arrears-evidence-bundle/1"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)[:120]


@dataclass
class ExportReport:
    directory: Path
    files: int
    missing_evidence: list[str] = field(default_factory=list)  # named by a record, not in the store at export
    chain_problems: list[str] = field(default_factory=list)


def export(
    session: Session,
    account_id: str,
    entries: list[Entry],
    histories: list[WorkflowHistory],
    out: Path,
    now: datetime | None = None,
    store: EvidenceStore | None = None,
) -> ExportReport:
    """Write the bundle into ``out`` (which must be empty or absent); evidence is copied from ``store`` only."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: a bundle is written into a new directory")
    out.mkdir(parents=True, exist_ok=True)
    (out / "histories").mkdir()
    (out / "messages").mkdir()
    (out / "evidence").mkdir()
    missing: list[str] = []

    (out / "timeline.json").write_text(render(entries, "json") + "\n", encoding="utf-8")
    (out / "timeline.csv").write_text(render(entries, "csv"), encoding="utf-8")
    for history in histories:
        run_id = history.events[0].workflow_execution_started_event_attributes.original_execution_run_id
        (out / "histories" / f"{_safe(history.workflow_id)}_{_safe(run_id)}.json").write_text(
            history.to_json(), encoding="utf-8"
        )

    contacts = session.scalars(
        select(ContactAttempt).where(ContactAttempt.account_id == account_id).order_by(ContactAttempt.id)
    ).all()
    for c in contacts:
        header = (
            f"contact {c.id}, {c.channel}, {c.result}, to {c.recipient or '-'}, at {c.attempted_at.isoformat()}, "
            f"DPD {c.dpd}, step {c.step_id}, template {c.template} ({c.language}), chain {c.chain_hash or '-'}\n"
        )
        subject = f"Subject: {c.subject}\n" if c.subject else ""
        (out / "messages" / f"{c.id:08d}_{_safe(c.channel)}.txt").write_text(
            header + subject + "\n" + c.rendered_text + "\n", encoding="utf-8"
        )

    missing += _evidence(session, account_id, out, store)

    chain = verify_chain(session, account_id)
    (out / "contact_chain.txt").write_text(
        (
            f"{account_id}: {chain.checked} chained contact record(s), {chain.unchained} written before the chain existed\n"
            + ("intact\n" if chain.ok else "".join(f"{p}\n" for p in chain.problems))
        ),
        encoding="utf-8",
    )

    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "account_id": account_id,
        "exported_at": (now or datetime.now(UTC)).isoformat(),
        "histories": len(histories),
        "contacts": len(contacts),
        "files": [
            {"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files
        ],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / SEAL).write_text(f"{sha256_file(out / MANIFEST)}  {MANIFEST}\n", encoding="utf-8")
    return ExportReport(out, len(files) + 2, missing, list(chain.problems))


def _citations(session: Session, account_id: str) -> list[tuple[str, str, str | None]]:
    """(what is cited, which record cites it, the SHA-256 the record kept) for every evidence citation."""
    cited: list[tuple[str, str, str | None]] = []
    for o in session.scalars(
        select(ContactOutcomeRecord)
        .where(ContactOutcomeRecord.account_id == account_id)
        .order_by(ContactOutcomeRecord.id)
    ):
        for item in (o.visit or {}).get("evidence", []):
            # Reports from before the evidence store named a path: listed, never opened.
            cited.append(
                (
                    item.get("evidence_id") or f"path {item.get('path')}",
                    f"visit report of task {o.task_id}",
                    item.get("sha256"),
                )
            )
    for h in session.scalars(select(Hold).where(Hold.account_id == account_id).order_by(Hold.id)):
        if h.evidence_ref:
            cited.append((h.evidence_ref, f"hold {h.hold_id}", None))
    for e in session.scalars(
        select(LegalCaseEvent).where(LegalCaseEvent.account_id == account_id).order_by(LegalCaseEvent.id)
    ):
        if e.document_id or e.document_path:
            cited.append(
                (
                    e.document_id or f"path {e.document_path}",
                    f"legal case {e.case_id} event {e.event_id}",
                    e.document_sha256,
                )
            )
    return cited


def _evidence(session: Session, account_id: str, out: Path, store: EvidenceStore | None) -> list[str]:
    """Copy the account's stored evidence into the bundle; write the index; return what could not be copied."""
    missing: list[str] = []
    citations = _citations(session, account_id)
    files: list[dict] = []
    for row in for_account(session, account_id):
        target = Path("evidence") / f"{row.evidence_id}{extension_for(row.media_type)}"
        copied = store is not None and store.copy_out(row.sha256, out / target)
        if not copied:
            (out / target).unlink(missing_ok=True)
            missing.append(f"{row.evidence_id} (uploaded by {row.uploaded_by}): not in the store, or altered there")
        files.append(
            {
                "evidence_id": row.evidence_id,
                "sha256": row.sha256,
                "media_type": row.media_type,
                "bytes": row.size_bytes,
                "filename": row.filename,
                "uploaded_by": row.uploaded_by,
                "uploaded_at": row.uploaded_at.isoformat(),
                "file": target.as_posix() if copied else None,
                "cited_by": [by for ref, by, _ in citations if ref == row.evidence_id],
            }
        )
    stored = {f["evidence_id"] for f in files}
    references = []
    for ref, by, recorded in citations:
        if ref in stored:
            continue
        kind = (
            "not in the evidence store"
            if is_evidence_id(ref)
            else "recorded before the evidence store (not opened)"
            if ref.startswith("path ")
            else "outside reference (a document held elsewhere)"
        )
        if is_evidence_id(ref):
            missing.append(f"{ref} ({by})")
        references.append({"reference": ref, "cited_by": by, "recorded_sha256": recorded, "kind": kind})
    index = {"files": files, "references": references}
    (out / "evidence" / "index.json").write_text(
        json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return missing


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(directory: Path) -> VerifyReport:
    """Recompute every checksum; name each file changed, missing or added since export."""
    report = VerifyReport()
    manifest_path, seal_path = directory / MANIFEST, directory / SEAL
    if not manifest_path.is_file():
        report.problems.append(f"{MANIFEST} is missing: this is not a bundle, or it was taken apart")
        return report
    if not seal_path.is_file():
        report.problems.append(f"{SEAL} is missing: the manifest cannot be checked")
    else:
        sealed = (
            seal_path.read_text(encoding="utf-8").split()[0] if seal_path.read_text(encoding="utf-8").split() else ""
        )
        if sealed != sha256_file(manifest_path):
            report.problems.append(f"{MANIFEST} was changed: its SHA-256 no longer matches {SEAL}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {f["path"]: f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{MANIFEST} cannot be read: {exc}")
        return report
    for rel, item in sorted(listed.items()):
        path = directory / rel
        if not path.is_file():
            report.problems.append(f"{rel}: missing (listed in the manifest)")
            continue
        report.checked += 1
        actual = sha256_file(path)
        if actual != item["sha256"]:
            report.problems.append(f"{rel}: changed (SHA-256 {actual[:16]}..., manifest says {item['sha256'][:16]}...)")
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    for rel in sorted(present - set(listed) - {MANIFEST, SEAL}):
        report.problems.append(f"{rel}: added (not in the manifest)")
    return report
