"""How records name evidence: by evidence-store id, never by a path.

An evidence id is ``ev-`` and the file's SHA-256 (arrears.audit.evidence_store
keeps the bytes). A hold may instead cite an outside document by its
reference (a court case number, a letter's reference): text that is never
opened as a file, and that cannot be mistaken for a path (no slash or
backslash, no leading dot or tilde, no control character).
"""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

EVIDENCE_ID_PATTERN = r"^ev-[0-9a-f]{64}$"
# A visit report cites its photos and documents; more than this is a batch upload, not a report.
MAX_EVIDENCE_PER_REPORT = 20

EvidenceId = Annotated[str, StringConstraints(pattern=EVIDENCE_ID_PATTERN, max_length=67)]  # "ev-" + 64 hex


def evidence_id_for(sha256: str) -> str:
    return f"ev-{sha256}"


def is_evidence_id(value: str) -> bool:
    return re.fullmatch(EVIDENCE_ID_PATTERN, value) is not None


def reference_problem(value: str) -> str | None:
    """Why ``value`` cannot be an outside document reference, or None."""
    if len(value) > 100:
        return "an outside reference is at most 100 characters"
    if "/" in value or "\\" in value or value.startswith((".", "~")):
        return (
            "looks like a file path: upload the file (POST /accounts/{id}/evidence or `arrears evidence add`) "
            "and give its evidence id"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "control characters are not allowed"
    return None


def _evidence_ref(value: str) -> str:
    value = value.strip()
    if value and not is_evidence_id(value):
        problem = reference_problem(value)
        if problem:
            raise ValueError(problem)
    return value


# A hold's evidence: an evidence id, an outside reference, or nothing.
EvidenceRef = Annotated[str, AfterValidator(_evidence_ref)]
