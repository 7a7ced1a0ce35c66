"""Evidence upload: ``POST /accounts/{id}/evidence``, one file per request (multipart field ``file``).

The body is capped before it is read (ARREARS_EVIDENCE_MAX_BYTES plus room
for the multipart envelope); the store sniffs the type from the bytes and
keeps the file once by SHA-256. The answer's ``evidence_id`` is what visit
reports, holds and legal events then cite.
"""

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from arrears.api.access import require_account
from arrears.api.bodies import EvidenceStored
from arrears.api.desk import AccountId, CallerDep, db
from arrears.audit.evidence_store import CHUNK, EvidenceRefused, clean_filename, record

# Room for the multipart boundary and part headers around the file itself.
ENVELOPE_BYTES = 16 * 1024
UPLOAD_PATH = r"/accounts/[^/]+/evidence"


def evidence_router() -> APIRouter:
    router = APIRouter()

    @router.post("/accounts/{account_id}/evidence", response_model=EvidenceStored, tags=["desk"])
    async def upload(
        request: Request,
        account_id: AccountId,
        who: CallerDep,
        file: Annotated[UploadFile, File(description="A PDF or a photo (JPEG, PNG, HEIC, WebP, TIFF)")],
    ) -> EvidenceStored:
        """Store a visit photo, letter or court document for an account the caller may see."""
        await db(request, lambda s: require_account(s, who, account_id))
        store = request.app.state.evidence_store
        try:
            blob = await run_in_threadpool(store.put, iter(lambda: file.file.read(CHUNK), b""))
        except EvidenceRefused as exc:
            raise HTTPException(413 if exc.too_large else 422, f"file: {exc}") from None
        stored = await run_in_threadpool(
            lambda: record(
                request.app.state.sessions,
                account_id,
                blob,
                uploaded_by=who.collector_id,
                source="api",
                filename=clean_filename(file.filename),
                now=request.app.state.clock(),
            )
        )
        return EvidenceStored(
            evidence_id=stored.evidence_id,
            sha256=stored.sha256,
            media_type=stored.media_type,
            size_bytes=stored.size_bytes,
            filename=stored.filename,
            duplicate=stored.duplicate,
        )

    return router
