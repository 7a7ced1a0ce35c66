"""The desk actions' forms on the account page: outcome (with a visit's evidence upload), callback,
promise, plan, hold and settlement, each through ``account.act``."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from arrears.api.access import open_episode, require_account
from arrears.api.bodies import (
    HoldBody,
    InstalmentBody,
    OutcomeBody,
    PlanBody,
    PromiseBody,
    SettlementBody,
)
from arrears.api.desk import evidence_known
from arrears.audit.evidence_store import CHUNK, EvidenceRefused, clean_filename, record
from arrears.client import operations
from arrears.console import views
from arrears.console.account import act, in_scope, task_check
from arrears.console.pages import Ctx, db, guarded
from arrears.contracts.collection import (
    HoldInput,
    OutcomeInput,
    PlanInput,
    PromiseInput,
    SettlementInput,
)
from arrears.db.models import Account, CollectorTask
from arrears.domain.evidence_ids import is_evidence_id
from arrears.domain.outcome import ContactOutcome, VisitReport


def _evidence_ids(form: dict[str, str]) -> list[str]:
    """The evidence ids a form carries (stored by this form's upload, or by its earlier, refused, sending)."""
    return [e for e in form.get("evidence_id", "").split(",") if e]


def stored_upload(request: Request, account_id: str):
    """The form's file, if one was chosen, kept by the same code as POST /accounts/{id}/evidence: the store
    caps the size and sniffs the type; the record keeps it once per account. Its id joins the form's."""

    async def prepare(ctx: Ctx, form: dict[str, str]) -> None:
        carried = _evidence_ids(form)
        if any(not is_evidence_id(e) for e in carried):
            raise HTTPException(422, "evidence_id: not an evidence id (ev-<sha256>)")
        upload = (await request.form()).get("evidence")
        if not carried and (upload is None or isinstance(upload, str) or not upload.filename):
            return

        def known(session) -> None:  # the caller's account (as the API's upload), the carried ids on its record
            require_account(session, ctx.caller, account_id)
            evidence_known(session, account_id, carried, "evidence_id")

        await db(request, known)
        if upload is None or isinstance(upload, str) or not upload.filename:
            return
        store = request.app.state.evidence_store
        try:
            blob = await run_in_threadpool(store.put, iter(lambda: upload.file.read(CHUNK), b""))
        except EvidenceRefused as exc:
            raise HTTPException(422, f"file {clean_filename(upload.filename)!r}: {exc}") from None
        stored = await run_in_threadpool(
            lambda: record(
                request.app.state.sessions,
                account_id,
                blob,
                uploaded_by=ctx.caller.collector_id,
                source="console",
                filename=clean_filename(upload.filename),
                now=request.app.state.clock(),
            )
        )
        if stored.evidence_id not in carried:
            carried.append(stored.evidence_id)
        form["evidence_id"] = ",".join(carried)

    return prepare


def local_moment(value: str, tz: str) -> datetime:
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"not a date and time: {value!r}") from None
    return naive.replace(tzinfo=ZoneInfo(tz)) if naive.tzinfo is None else naive


def amount(value: str) -> str:
    try:
        Decimal(value.replace(",", "").strip() or "0")
    except InvalidOperation:
        return value
    return value.replace(",", "").strip() or "0"


def add_forms(router: APIRouter) -> None:
    @router.post("/accounts/{account_id}/outcome")
    @guarded
    async def outcome(request: Request, account_id: str) -> Response:
        form_kinds = await db(
            request,
            lambda s: dict(
                s.execute(
                    select(CollectorTask.id, CollectorTask.kind).where(CollectorTask.account_id == account_id)
                ).all()
            ),
        )

        def build(ctx, form, key):
            task_id = int(form.get("task_id", "0")) if form.get("task_id", "").isdigit() else 0
            visit = None
            files = _evidence_ids(form)
            if form_kinds.get(task_id) == "visit":  # a visit's outcome carries its report, and the evidence ids
                visit = VisitReport(
                    address_verified=form.get("address_verified") == "yes",
                    met_cardholder=form.get("met_cardholder") == "yes",
                    evidence_files=files,
                )
            body = OutcomeBody(
                task_id=form.get("task_id", "0"),
                outcome=form.get("outcome", ""),
                duration_seconds=form.get("duration_seconds") or 0,
                reason_for_delinquency=form.get("reason_for_delinquency") or None,
                visit=visit,
            )
            return (
                OutcomeInput(**body.model_dump(), collector_id=ctx.caller.collector_id),
                task_check(account_id, body.task_id, files if visit is not None else []),
            )

        def remark(ctx, form) -> str | None:
            files = _evidence_ids(form)
            if not files:
                return None
            said = f"{ctx.words._('Evidence on file')}: {', '.join(files)}"
            task_id = int(form["task_id"]) if form.get("task_id", "").isdigit() else 0
            if form_kinds.get(task_id) != "visit":
                said += " (" + ctx.words._("a call's outcome carries no evidence: cite the id on a hold") + ")"
            return said

        return await act(
            request,
            account_id,
            "outcome",
            build,
            lambda c, cmd: operations.log_contact_outcome(c, account_id, cmd),
            prepare=stored_upload(request, account_id),
            remark=remark,
        )

    @router.post("/accounts/{account_id}/callback")
    @guarded
    async def callback(request: Request, account_id: str) -> Response:
        def zone(session) -> str:
            found = session.get(Account, account_id)
            return found.timezone if found else "UTC"

        tz = await db(request, zone)

        def build(ctx, form, key):
            body = OutcomeBody(
                task_id=form.get("task_id", "0"),
                outcome=ContactOutcome.CALLBACK_REQUESTED,
                callback_at=local_moment(form.get("callback_at", ""), tz),
            )
            return (
                OutcomeInput(**body.model_dump(), collector_id=ctx.caller.collector_id),
                task_check(account_id, body.task_id),
            )

        return await act(
            request, account_id, "callback", build, lambda c, cmd: operations.log_contact_outcome(c, account_id, cmd)
        )

    @router.post("/accounts/{account_id}/promise")
    @guarded
    async def promise(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            body = PromiseBody(
                promise_id=f"PTP-{key}",
                amount=amount(form.get("amount", "")),
                promised_date=form.get("promised_date", ""),
                channel="call",
            )
            who = ctx.caller
            return (
                PromiseInput(
                    **body.model_dump(),
                    collector_id=who.collector_id,
                    supervisor_id=who.collector_id if who.supervisor else None,
                ),
                in_scope(account_id),
            )

        return await act(
            request, account_id, "promise", build, lambda c, cmd: operations.promise_to_pay(c, account_id, cmd)
        )

    @router.post("/accounts/{account_id}/plan")
    @guarded
    async def plan(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            rows = []
            for i in range(1, 7):
                due, value = form.get(f"due_{i}", "").strip(), form.get(f"amount_{i}", "").strip()
                if due or value:
                    rows.append(InstalmentBody(due_date=due, amount=amount(value)))
            body = PlanBody(plan_id=f"PL-{key}", instalments=rows, down_payment=amount(form.get("down_payment", "0")))
            return (
                PlanInput(
                    plan_id=body.plan_id,
                    instalments=[i.domain() for i in body.instalments],
                    down_payment=body.down_payment,
                    fee_waiver=body.fee_waiver,
                    rate_discount_percent=body.rate_discount_percent,
                    approved_by=ctx.caller.collector_id,
                    approver_role=ctx.caller.role,
                ),
                in_scope(account_id),
            )

        return await act(request, account_id, "plan", build, lambda c, cmd: operations.agree_plan(c, account_id, cmd))

    @router.post("/accounts/{account_id}/hold")
    @guarded
    async def hold(request: Request, account_id: str) -> Response:
        def build(ctx, form, key):
            reason = form.get("reason", "")
            if reason not in views.HOLD_REASONS:
                raise HTTPException(422, "choose one of the reasons offered")
            body = HoldBody(
                hold_id=f"H-{key}",
                hold_type=form.get("hold_type", ""),
                reason=reason,
                channel=form.get("channel") or None,
                days=form.get("days") or None,
                evidence_ref=form.get("evidence_ref", ""),
            )

            def check(session, who):
                open_episode(session, who, account_id)
                if is_evidence_id(body.evidence_ref):  # as the API's hold route: on this account's record
                    evidence_known(session, account_id, [body.evidence_ref], "evidence_ref")

            return HoldInput(**body.model_dump(), placed_by=ctx.caller.collector_id), check

        return await act(request, account_id, "hold", build, lambda c, cmd: operations.place_hold(c, account_id, cmd))

    @router.post("/accounts/{account_id}/settlement")
    @guarded
    async def settlement(request: Request, account_id: str) -> Response:
        """A settlement offer, approved by the signed-in user with their role (as POST /accounts/{id}/settlements):
        the workflow's validator holds it to the role's discount limit."""

        def build(ctx, form, key):
            body = SettlementBody(
                offer_id=f"ST-{key}",
                amount=amount(form.get("amount", "")),
                expires_on=form.get("expires_on", ""),
                replace=form.get("replace") == "yes",
            )
            return (
                SettlementInput(
                    **body.model_dump(), approved_by=ctx.caller.collector_id, approver_role=ctx.caller.role
                ),
                in_scope(account_id),
            )

        return await act(
            request, account_id, "settlement", build, lambda c, cmd: operations.offer_settlement(c, account_id, cmd)
        )
