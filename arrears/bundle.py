"""Evidence bundles for a court or regulator: one account's story, sealed with checksums.

A bundle is a directory: the timeline (JSON and CSV), every workflow run's
history JSON, every rendered message, the evidence files named by visit
reports and holds, the contact chain's check, and ``manifest.json`` listing
each file with its SHA-256 and size. ``manifest.sha256`` seals the manifest
itself. Verifying recomputes every checksum and names each file that was
changed, removed or added since export.
"""

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowHistory

from arrears.db.models import ContactAttempt, ContactOutcomeRecord, Hold
from arrears.evidence import verify_chain
from arrears.timeline import Entry, render

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
    missing_evidence: list[str] = field(default_factory=list)  # named by a record, not on disk at export
    chain_problems: list[str] = field(default_factory=list)


def export(session: Session, account_id: str, entries: list[Entry], histories: list[WorkflowHistory],
           out: Path, now: datetime | None = None) -> ExportReport:
    """Write the bundle into ``out`` (which must be empty or absent)."""
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
        (out / "histories" / f"{_safe(history.workflow_id)}_{_safe(run_id)}.json").write_text(history.to_json(), encoding="utf-8")

    contacts = session.scalars(select(ContactAttempt).where(ContactAttempt.account_id == account_id)
                               .order_by(ContactAttempt.id)).all()
    for c in contacts:
        header = (f"contact {c.id}, {c.channel}, {c.result}, to {c.recipient or '-'}, at {c.attempted_at.isoformat()}, "
                  f"DPD {c.dpd}, step {c.step_id}, template {c.template} ({c.language}), chain {c.chain_hash or '-'}\n")
        subject = f"Subject: {c.subject}\n" if c.subject else ""
        (out / "messages" / f"{c.id:08d}_{_safe(c.channel)}.txt").write_text(
            header + subject + "\n" + c.rendered_text + "\n", encoding="utf-8")

    evidence: list[tuple[str, str | None, str]] = []  # (path, recorded sha256, what named it)
    for o in session.scalars(select(ContactOutcomeRecord).where(ContactOutcomeRecord.account_id == account_id)
                             .order_by(ContactOutcomeRecord.id)):
        for item in (o.visit or {}).get("evidence", []):
            evidence.append((item["path"], item.get("sha256"), f"visit report of task {o.task_id}"))
    for h in session.scalars(select(Hold).where(Hold.account_id == account_id).order_by(Hold.id)):
        if h.evidence_ref:
            evidence.append((h.evidence_ref, None, f"hold {h.hold_id}"))
    copied: list[dict] = []
    for n, (path, recorded, named_by) in enumerate(evidence, start=1):
        source = Path(path)
        entry = {"named_by": named_by, "original_path": path, "recorded_sha256": recorded}
        if source.is_file():
            target = Path("evidence") / f"{n:03d}_{_safe(source.name)}"
            shutil.copyfile(source, out / target)
            entry["file"] = target.as_posix()
            actual = sha256_file(out / target)
            entry["matches_record"] = None if recorded is None else actual == recorded
        else:
            entry["file"] = None  # a reference (a document id) or a file gone since it was recorded
            missing.append(f"{path} ({named_by})")
        copied.append(entry)
    (out / "evidence" / "index.json").write_text(json.dumps(copied, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    chain = verify_chain(session, account_id)
    (out / "contact_chain.txt").write_text(
        (f"{account_id}: {chain.checked} chained contact record(s), {chain.unchained} written before the chain existed\n"
         + ("intact\n" if chain.ok else "".join(f"{p}\n" for p in chain.problems))), encoding="utf-8")

    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "account_id": account_id,
        "exported_at": (now or datetime.now(timezone.utc)).isoformat(),
        "histories": len(histories),
        "contacts": len(contacts),
        "files": [{"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / SEAL).write_text(f"{sha256_file(out / MANIFEST)}  {MANIFEST}\n", encoding="utf-8")
    return ExportReport(out, len(files) + 2, missing, list(chain.problems))


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
        sealed = seal_path.read_text(encoding="utf-8").split()[0] if seal_path.read_text(encoding="utf-8").split() else ""
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
