"""One account's story in order: the system of record, and the workflow history beside it.

Each row says when, what, and why: the strategy step or the gate's rule
behind an automatic action, the person behind a human one. Only reads.
"""

import io
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from arrears.contracts import keys
from arrears.contracts.names import EXECUTE_STEP
from arrears.db.models import (
    Account,
    AccountAction,
    BlacklistEntryRecord,
    BureauNotice,
    CardRestriction,
    CollectorTask,
    ContactAttempt,
    ContactDecision,
    ContactOutcomeRecord,
    Episode,
    Hold,
    LedgerPosting,
    LegalCaseEvent,
    LegalCaseRecord,
    Payment,
    Plan,
    PromiseToPay,
    Recovery,
    RiskSegmentChange,
    Settlement,
    StageEvent,
    StrategyChange,
    TaskAssignment,
)
from arrears.intake.csvfile import safe_dict_writer

COLUMNS = ("at", "source", "kind", "what", "cause", "dpd", "segment", "code")


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str  # record | history
    kind: str
    what: str
    cause: str
    dpd: int | None = None
    segment: str = ""  # the risk segment the ladder used (automatic actions)
    code: str = ""  # the worker build id whose workflow task decided it (automatic actions)
    key: str = field(default="", compare=False)  # the step's idempotency key; ties a record row to its history event

    def row(self) -> dict:
        values = asdict(self)
        values.pop("key")
        values["at"] = self.at.astimezone(UTC).isoformat()
        return values


def from_record(session: Session, account_id: str) -> list[Entry]:
    out: list[Entry] = []

    def rows(model, *order):
        return session.scalars(select(model).where(model.account_id == account_id).order_by(*order)).all()

    segments = {e.episode_id: e.risk_segment for e in rows(Episode, Episode.started_at)}
    for c in rows(ContactAttempt, ContactAttempt.id):
        text = " ".join(c.rendered_text.split())
        out.append(
            Entry(
                c.attempted_at,
                "record",
                f"contact:{c.channel}",
                f"{c.result} to {c.recipient or '-'} ({c.template}, {c.language}): {text[:160]}",
                f"strategy step {c.step_id}",
                c.dpd,
                segments.get(c.episode_id, ""),
                key=c.idempotency_key,
            )
        )
    for d in rows(ContactDecision, ContactDecision.id):
        if d.verdict != "allow":
            until = f" until {d.until:%Y-%m-%d %H:%M} UTC" if d.until else ""
            out.append(
                Entry(
                    d.proposed_at,
                    "record",
                    f"gate:{d.verdict}",
                    f"{d.channel} for step {d.step_id}{until}: {d.detail}",
                    f"rule {d.rule} ({d.preset})",
                    segment=segments.get(d.episode_id, ""),
                    key=d.idempotency_key,
                )
            )
    for t in rows(CollectorTask, CollectorTask.id):
        owner = (
            f" for {t.assigned_to}"
            if t.assigned_to
            else (" in the supervisor queue" if t.queue == "supervisor" else "")
        )
        out.append(
            Entry(
                t.due_at,
                "record",
                f"task:{t.kind}",
                f"task {t.id} opened{owner}: {t.note}",
                f"strategy step {t.step_id}",
                t.dpd,
                segments.get(t.episode_id, ""),
                key=t.idempotency_key,
            )
        )
    for a in rows(AccountAction, AccountAction.id):
        out.append(
            Entry(
                a.executed_at,
                "record",
                f"action:{a.action}",
                f"{a.action} (overdue {a.overdue_amount}, balance {a.total_balance})",
                f"strategy step {a.step_id}",
                a.dpd,
                segments.get(a.episode_id, ""),
                key=a.idempotency_key,
            )
        )
    task_ids = [t.id for t in rows(CollectorTask, CollectorTask.id)]
    if task_ids:
        for a in session.scalars(
            select(TaskAssignment).where(TaskAssignment.task_id.in_(task_ids)).order_by(TaskAssignment.id)
        ):
            out.append(
                Entry(
                    a.at,
                    "record",
                    "task:assignment",
                    f"task {a.task_id}: {a.previous_collector_id or '-'} -> {a.collector_id or a.queue} ({a.reason})",
                    f"by {a.by}: {a.detail}",
                )
            )
    for o in rows(ContactOutcomeRecord, ContactOutcomeRecord.id):
        why = f", reason {o.reason_for_delinquency}" if o.reason_for_delinquency else ""
        out.append(
            Entry(
                o.recorded_at,
                "record",
                "outcome",
                f"task {o.task_id}: {o.outcome}{why} ({o.duration_seconds} s)",
                f"collector {o.collector_id}",
            )
        )
    for p in rows(Payment, Payment.id):
        out.append(
            Entry(
                p.paid_at,
                "record",
                "payment",
                f"{p.payment_id}: {p.amount} {p.currency} by {p.channel}; overdue after {p.overdue_after}",
                "payment feed",
                p.dpd,
            )
        )
    for pr in rows(PromiseToPay, PromiseToPay.id):
        out.append(
            Entry(
                pr.made_at,
                "record",
                "promise",
                f"{pr.promise_id}: {pr.amount} {pr.currency} by {pr.promised_date}; now {pr.status}",
                f"collector {pr.collector_id}",
                pr.made_dpd,
            )
        )
    for s in rows(Settlement, Settlement.id):
        out.append(
            Entry(
                s.made_at,
                "record",
                "settlement",
                f"{s.offer_id}: {s.amount} {s.currency} until {s.expires_on}; now {s.status}",
                f"approved by {s.approved_by} ({s.approver_role})",
            )
        )
    for pl in rows(Plan, Plan.id):
        out.append(
            Entry(
                pl.made_at,
                "record",
                "plan",
                f"{pl.plan_id}: {len(pl.schedule)} instalments, total {pl.total} {pl.currency}; now {pl.status}",
                f"approved by {pl.approved_by} ({pl.approver_role})",
            )
        )
    for h in rows(Hold, Hold.id):
        out.append(
            Entry(h.placed_at, "record", f"hold:{h.hold_type}", f"{h.hold_id} placed: {h.reason}", f"by {h.placed_by}")
        )
        if h.released_at:
            out.append(
                Entry(
                    h.released_at,
                    "record",
                    f"hold:{h.hold_type}",
                    f"{h.hold_id} {h.status}{' (' + h.resolution + ')' if h.resolution else ''}",
                    f"by {h.released_by or 'expiry'}",
                )
            )
    for e in rows(StageEvent, StageEvent.id):
        out.append(
            Entry(e.occurred_at, "record", "stage", f"{e.previous_stage or '-'} -> {e.stage}", "DPD reached", e.dpd)
        )
    out += _economics(session, account_id, segments)
    for sc in rows(StrategyChange, StrategyChange.id):
        out.append(
            Entry(
                sc.applied_at,
                "record",
                "strategy",
                f"{sc.from_name} -> {sc.to_name} ({sc.to_hash[:12]})",
                f"by {sc.applied_by}: {sc.reason}",
                sc.dpd,
            )
        )
    for rc in rows(RiskSegmentChange, RiskSegmentChange.id):
        out.append(
            Entry(
                rc.changed_at,
                "record",
                "risk:segment",
                _segment_change(rc),
                (f"model {rc.model_version}" if rc.source == "model" else f"supervisor {rc.set_by}")
                + (f": {'; '.join(rc.reasons)}" if rc.reasons else ""),
                rc.dpd,
                rc.segment,
            )
        )
    return out


def _segment_change(rc: RiskSegmentChange) -> str:
    if rc.overridden:
        return f"stays {rc.segment}: a supervisor's override holds"
    what = f"{rc.previous} -> {rc.segment}" if rc.changed else f"stays {rc.segment}"
    if rc.override:
        return what + " (override, holds against the model until released)"
    if rc.release_override:
        return what + " (override released)"
    return what


def _economics(session: Session, account_id: str, segments: dict[str, str]) -> list[Entry]:
    """Card restrictions, blacklist, bureau notices, legal cases, ledger postings and recoveries."""
    out: list[Entry] = []
    account = session.get(Account, account_id)
    zone = ZoneInfo(account.timezone) if account is not None else UTC

    def rows(model, *order):
        return session.scalars(select(model).where(model.account_id == account_id).order_by(*order)).all()

    def end_of(day) -> datetime:  # a posting dated by the account's local day sorts at that day's end
        return datetime.combine(day, time(23, 59, 59), tzinfo=zone)

    for r in rows(CardRestriction, CardRestriction.id):
        out.append(
            Entry(
                r.applied_at,
                "record",
                "card:restrict",
                f"{r.level} applied",
                f"strategy step {r.step_id}",
                r.dpd,
                segments.get(r.episode_id, ""),
                key=keys.step_key(r.episode_id, r.step_id),
            )
        )
        if r.lifted_at is not None:
            out.append(Entry(r.lifted_at, "record", "card:lift", f"{r.level} lifted", f"restoration: {r.lift_reason}"))
    for b in rows(BlacklistEntryRecord, BlacklistEntryRecord.id):
        out.append(
            Entry(
                b.listed_at,
                "record",
                "blacklist",
                f"listed from {b.listed_from} ({b.reason}); blocks {', '.join(b.blocks)}",
                "DPD reached the strategy's list_at_dpd",
                b.dpd,
            )
        )
        if b.removal_set_at is not None:
            out.append(
                Entry(
                    b.removal_set_at,
                    "record",
                    "blacklist",
                    f"removal dated: no longer listed from {b.listed_until}",
                    "restoration after the cure",
                )
            )
    for n in rows(BureauNotice, BureauNotice.id):
        out.append(
            Entry(
                n.sent_at,
                "record",
                "bureau:notice",
                f"prior notice {n.result} to {n.recipient} ({n.template}, {n.language})",
                f"strategy step {n.step_id}",
                n.dpd,
                segments.get(n.episode_id, ""),
            )
        )
    for c in rows(LegalCaseRecord, LegalCaseRecord.id):
        out.append(
            Entry(
                c.referred_at,
                "record",
                "legal:referred",
                f"case {c.id}: principal {c.principal} {c.currency}; {'; '.join(c.decision)}",
                f"strategy step {c.step_id}, criteria {c.criteria}",
                c.dpd,
                segments.get(c.episode_id, ""),
            )
        )
    for e in rows(LegalCaseEvent, LegalCaseEvent.id):
        cost = f", cost {e.cost} {e.currency}{' (recoverable)' if e.recoverable else ''}" if e.cost else ""
        document = (
            f", document {e.document_id or e.document_path} (SHA-256 {e.document_sha256[:12]}...)"
            if e.document_sha256
            else ""
        )
        out.append(
            Entry(
                e.recorded_at,
                "record",
                "legal:event",
                f"case {e.case_id} {e.event_id} ({e.event_on}): {e.from_state} -> {e.to_state}{cost}{document}",
                f"by {e.recorded_by}",
            )
        )
    for p in rows(LedgerPosting, LedgerPosting.id):
        out.append(
            Entry(
                end_of(p.posted_on),
                "record",
                f"ledger:{p.kind}",
                p.explanation,
                "pricing" if p.kind in ("interest", "fee") else "posted on the event",
            )
        )
    for r in rows(Recovery, Recovery.id):
        out.append(
            Entry(
                r.paid_at,
                "record",
                "recovery",
                f"{r.payment_id}: {r.amount} {r.currency} by {r.channel}; "
                f"recovered {r.recovered_total_after} after the write-off",
                "payment feed (recovery workflow)",
            )
        )
    return out


_WHO = ("collector_id", "operator_id", "applied_by", "placed_by", "released_by", "approved_by", "supervisor_id")


def step_build_ids(history: WorkflowHistory) -> dict[str, str]:
    """Each strategy step's idempotency key -> the build id of the worker whose workflow task scheduled it."""
    task_build = {
        e.event_id: e.workflow_task_completed_event_attributes.worker_version.build_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }
    found: dict[str, str] = {}
    for event in history.events:
        key, task = _step_key(event)
        if key:
            found.setdefault(key, task_build.get(task, "") or "(no build id recorded)")
    return found


def _step_key(event) -> tuple[str | None, int]:
    """The step an event ran (a scheduled execute_step, or its local-activity marker) and the task that decided it."""
    try:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name != EXECUTE_STEP or not attrs.input.payloads:
                return None, 0
            command = json.loads(attrs.input.payloads[0].data)
            return keys.step_key(command["episode_id"], command["step"]["key"]), attrs.workflow_task_completed_event_id
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            attrs = event.marker_recorded_event_attributes
            if attrs.marker_name != "core_local_activity":
                return None, 0
            data, result = attrs.details.get("data"), attrs.details.get("result")
            if data is None or result is None or not data.payloads or not result.payloads:
                return None, 0
            if json.loads(data.payloads[0].data).get("activity_type") != EXECUTE_STEP:
                return None, 0
            # A local activity's input is not recorded; its result names the step by its key.
            return json.loads(result.payloads[0].data)["idempotency_key"], attrs.workflow_task_completed_event_id
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return None, 0


def with_code(entries: list[Entry], histories: list[WorkflowHistory]) -> list[Entry]:
    """Name the code version behind every automatic action the histories show."""
    builds: dict[str, str] = {}
    for history in histories:
        builds.update(step_build_ids(history))

    def code_for(key: str, default: str) -> str:
        for candidate in keys.step_key_candidates(key):
            if candidate in builds:
                return builds[candidate]
        return default

    return [replace(e, code=code_for(e.key, e.code)) if e.key else e for e in entries]


def from_history(history: WorkflowHistory) -> list[Entry]:
    """Updates with who sent them, timers fired, and the run's start and end."""
    out: list[Entry] = []
    for event in history.events:
        at = event.event_time.ToDatetime(tzinfo=UTC)
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            name = request.input.name
            who = "-"
            try:
                payload = json.loads(request.input.args.payloads[0].data) if request.input.args.payloads else {}
                who = next((f"{k} {payload[k]}" for k in _WHO if payload.get(k)), "-")
            except (ValueError, IndexError, AttributeError):
                pass
            out.append(Entry(at, "history", "update", f"{name} accepted", who))
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            out.append(Entry(at, "history", "timer", "timer fired", "the ladder's next moment"))
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            out.append(
                Entry(
                    at, "history", "run", f"workflow {history.workflow_id} started", f"identity {attrs.identity or '-'}"
                )
            )
        elif event.event_type in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        ):
            out.append(
                Entry(at, "history", "run", EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower(), "-")
            )
    return out


def ordered(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.at, e.source != "history", e.kind))


def render(entries: list[Entry], fmt: str) -> str:
    rows = [e.row() for e in entries]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = safe_dict_writer(buffer, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}; use table, csv or json")
