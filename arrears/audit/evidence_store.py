"""The evidence store: visit photos, letters and court documents, kept by content.

Bytes go under ``ARREARS_EVIDENCE_DIR`` once, at ``sha256/<ab>/<sha256>``,
whoever uploads them and however often; the ``evidence_files`` table says
which account each file belongs to, who uploaded it, when, and its sniffed
type. Records (visit reports, holds, legal events) cite the id
``ev-<sha256>``, and export bundles copy from here, checking the hash, so no
code path opens a path that a request named.

Uploads are capped in size while they stream and sniffed from their first
bytes: only the allow-listed types (``ARREARS_EVIDENCE_TYPES``) are kept,
whatever the file name or the declared content type say.
"""

import hashlib
import os
import stat
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.idempotent import insert_once
from arrears.db.models import Account, EvidenceFile
from arrears.domain.evidence_ids import evidence_id_for, is_evidence_id

CHUNK = 1 << 16
_SNIFF_BYTES = 16
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "image/webp": ".webp",
    "image/tiff": ".tif",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}


class EvidenceRefused(ValueError):
    """The upload cannot be kept; ``too_large`` tells a size refusal (413) from a content one (422)."""

    def __init__(self, message: str, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def sniff(head: bytes) -> str | None:
    """The media type the first bytes show, among the types the store knows; None if none."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def clean_filename(name: str | None) -> str:
    """The uploaded file's name for people to read: its last part, printable, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return printable.strip()[:255]


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: str

    @property
    def evidence_id(self) -> str:
        return evidence_id_for(self.sha256)


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int, allowed_types: Iterable[str]) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.allowed = tuple(allowed_types)

    @classmethod
    def from_settings(cls, settings) -> "EvidenceStore":
        return cls(settings.evidence_dir, settings.evidence_max_bytes, settings.evidence_type_list())

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256[:80]!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def put(self, chunks: Iterable[bytes]) -> StoredBlob:
        """Stream the bytes in: hash, size-check and sniff as they come; keep them once by hash."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True, mode=0o750)
        partial = incoming / f"{uuid.uuid4().hex}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with partial.open("xb") as out:
                for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise EvidenceRefused(f"evidence larger than {self.max_bytes} bytes", too_large=True)
                    if len(head) < _SNIFF_BYTES:
                        head += chunk[: _SNIFF_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise EvidenceRefused("the file is empty")
            media_type = sniff(head)
            if media_type is None:
                raise EvidenceRefused(f"unrecognised file type; accepted: {', '.join(self.allowed)}")
            if media_type not in self.allowed:
                raise EvidenceRefused(f"{media_type} is not accepted; accepted: {', '.join(self.allowed)}")
            blob = StoredBlob(digest.hexdigest(), size, media_type)
            target = self.path_of(blob.sha256)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            if target.is_file():
                partial.unlink()  # the same bytes are kept already
            else:
                os.chmod(partial, 0o440)  # evidence is not edited in place
                os.replace(partial, target)
            return blob
        finally:
            if partial.exists():
                partial.unlink()

    def put_file(self, path: Path) -> StoredBlob:
        """An operator's local file (the CLI): a regular file only, read up to the cap."""
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise EvidenceRefused(f"{path}: {exc.strerror}") from None
        if not stat.S_ISREG(mode):
            raise EvidenceRefused(f"{path} is not a regular file (a device, pipe or directory cannot be evidence)")
        with path.open("rb") as handle:
            return self.put(iter(lambda: handle.read(CHUNK), b""))

    def copy_out(self, sha256: str, target: Path) -> bool:
        """Copy the stored bytes to ``target``; False when they are gone or no longer match their hash."""
        source = self.path_of(sha256)
        if not source.is_file():
            return False
        digest = hashlib.sha256()
        with source.open("rb") as handle, target.open("wb") as out:
            for block in iter(lambda: handle.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
        return digest.hexdigest() == sha256


def extension_for(media_type: str) -> str:
    return _EXTENSIONS.get(media_type, "")


# ---- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    evidence_id: str
    sha256: str
    size_bytes: int
    media_type: str
    filename: str
    duplicate: bool  # already on record for this account: nothing new was written


def _stored(row: EvidenceFile, duplicate: bool) -> Stored:
    return Stored(row.evidence_id, row.sha256, row.size_bytes, row.media_type, row.filename, duplicate)


def record(
    sessions: sessionmaker[Session],
    account_id: str,
    blob: StoredBlob,
    *,
    uploaded_by: str,
    source: str,
    filename: str,
    now: datetime,
) -> Stored:
    """Put the stored file on the account's record, once (the same bytes again answer with the first row)."""
    with sessions.begin() as session:
        # The same file uploaded twice at once: the first one stands.
        row, created = insert_once(
            session,
            EvidenceFile(
                evidence_id=blob.evidence_id,
                sha256=blob.sha256,
                account_id=account_id,
                size_bytes=blob.size,
                media_type=blob.media_type,
                filename=filename,
                uploaded_by=uploaded_by,
                source=source,
                uploaded_at=now,
            ),
            existing=lambda: session.scalar(
                select(EvidenceFile).where(EvidenceFile.account_id == account_id, EvidenceFile.sha256 == blob.sha256)
            ),
        )
        return _stored(row, duplicate=not created)


def find(session: Session, account_id: str, evidence_id: str) -> EvidenceFile | None:
    if not is_evidence_id(evidence_id):
        return None
    return session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.account_id == account_id, EvidenceFile.sha256 == evidence_id.removeprefix("ev-")
        )
    )


def missing_for(session: Session, account_id: str, evidence_ids: Iterable[str]) -> list[str]:
    """The ids among ``evidence_ids`` that are not on the account's record."""
    return [e for e in evidence_ids if find(session, account_id, e) is None]


def for_account(session: Session, account_id: str) -> list[EvidenceFile]:
    return list(
        session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.account_id == account_id)
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
    )


def add_local_file(
    sessions: sessionmaker[Session],
    store: EvidenceStore,
    account_id: str,
    path: Path,
    *,
    uploaded_by: str,
    now: datetime,
) -> Stored:
    """The CLI's upload: the account must exist; the file is read from the operator's own disk."""
    with sessions() as session:
        if session.get(Account, account_id) is None:
            raise EvidenceRefused(f"no account {account_id}")
    blob = store.put_file(path)
    return record(
        sessions, account_id, blob, uploaded_by=uploaded_by, source="cli", filename=clean_filename(path.name), now=now
    )
