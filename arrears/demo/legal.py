"""The demo's legal story, and its summary of legal cases and refusals.

The legal step refers an account only under the malicious-overdraft criteria:
two effective collections at least 30 days apart, more than three months unpaid
after the second, and a principal of 50,000 CNY or more. The demo's ordinary
accounts never get there in its 70 days, so one large balance
(``LEGAL_ACCOUNT``, 68,000 CNY, on ``strategies/demo-legal.yaml``) runs on a
faster clock: ``SPAN_DAYS`` collection days while the demo runs. A collector
reaches the cardholder on the early call and on the first mid-stage call
(two effective collections, ``log_contact_outcome`` with
``right_party_contact``); at DPD 120 the legal step refuses and names the date
from which three months will have passed; on that date it refers the account;
the legal team then files the claim (``update_legal_case``: filed, a court fee
charged to the account, the claim document kept with its SHA-256).

Everything here goes through the same updates and records an operator would
use: nothing is written around the workflow.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from arrears import PROJECT_ROOT
from arrears.audit.evidence_store import EvidenceStore, add_local_file
from arrears.cli.tables import Column, print_table
from arrears.client.operations import Rejected, get_status, log_contact_outcome, update_legal_case
from arrears.contracts.collection import OutcomeInput, StatusView
from arrears.db.models import (
    AccountAction,
    CollectorTask,
    EffectiveCollection,
    Episode,
    LegalCaseEvent,
    LegalCaseRecord,
)
from arrears.domain.delinquency import local_date
from arrears.domain.legal import LegalCriteria, LegalEvent, LegalState
from arrears.domain.legal_outlook import Criterion, earliest_referral, unmet_criterion
from arrears.domain.outcome import ContactOutcome, DelinquencyReason
from arrears.intake.sample import generate_accounts

LEGAL_ACCOUNT = "DEMO000049"
LEGAL_STRATEGY = PROJECT_ROOT / "strategies" / "demo-legal.yaml"
LEGAL_TASK_QUEUE = "arrears-demo-legal"
IMPORT_DPD = 1  # before the early call (DPD 2), which must reach the cardholder
# Collection days the legal account lives while the demo runs. The referral comes near DPD 126 (about 60 s
# in), the charge-off at DPD 180 ends the episode (about 85 s in); between them a busy machine's lag has the
# most room, in real seconds, to delay the updates before the claim can no longer be filed.
SPAN_DAYS = 145
COURT_FEE = Decimal("1200.00")
POLL_SECONDS = 0.5  # about a collection day of the large balance
QUERY_SECONDS = 15  # a query that takes longer is not waited for (the episode's workflow task may be failing)


def legal_day_seconds(day_seconds: float, days: int) -> float:
    """The legal account's day length: ``SPAN_DAYS`` collection days in the demo's ``days``."""
    return day_seconds * days / SPAN_DAYS


def legal_rows(today: date) -> list[dict]:
    """The large balance: a synthetic account of 68,000 CNY in Shanghai, high risk."""
    row = generate_accounts(1, today, [IMPORT_DPD], seed=49, prefix="DEMO")[0]
    row.update(
        account_id=LEGAL_ACCOUNT,
        email=f"{LEGAL_ACCOUNT.lower()}@example.com",
        risk_segment="high",
        currency="CNY",
        overdue_amount="6800.00",
        total_balance="68000.00",
    )
    return [row]


def _local_today(view: StatusView) -> date:
    return view.as_of.astimezone(ZoneInfo(view.timezone)).date()


class LegalStory:
    """Plays the collector and the legal team for ``LEGAL_ACCOUNT`` while the demo runs."""

    def __init__(
        self,
        client: Client,
        sessions: sessionmaker[Session],
        console: Console,
        day: Callable[[], int],
        demo_dir: Path,
        criteria: LegalCriteria,
    ) -> None:
        self.client, self.sessions, self.console, self.day = client, sessions, console, day
        self.demo_dir, self.criteria = demo_dir, criteria
        self.collections: list[date] = []  # the local dates the collector reached the cardholder
        self.refusals_seen: set[int] = set()
        self.last_reasons = ""
        self.view: StatusView | None = None
        self.case_id: int | None = None
        self.filed = asyncio.Event()
        self.stopped: str | None = None  # why the story could not finish
        self.problems: set[str] = set()
        self.filing_on: date | None = None  # fixed at the first attempt: a retry sends the same event

    def say(self, dpd: int | None, text: str) -> None:
        at = f" (DPD {dpd})" if dpd is not None else ""
        self.console.print(f"day {self.day():>3}  {LEGAL_ACCOUNT}{at}: {text}")

    async def run(self) -> None:
        while not self.filed.is_set() and self.stopped is None:
            try:
                await self._advance()
            except Rejected as exc:
                if exc.episode_closed:
                    self.stopped = str(exc)
                    self.say(None, f"[red]the legal story stops[/red]: {exc}")
                    return
                # e.g. the call's task is on record a moment before the episode knows it: next round.
            except Exception as exc:  # noqa: BLE001 - said once, then tried again: the demo goes on
                if repr(exc) not in self.problems:
                    self.problems.add(repr(exc))
                    self.say(None, f"[red]trying again after[/red] {exc!r}")
            await asyncio.sleep(POLL_SECONDS)

    def _read(self) -> tuple[list[CollectorTask], list[AccountAction], LegalCaseRecord | None]:
        with self.sessions() as s:
            calls = s.scalars(
                select(CollectorTask)
                .where(
                    CollectorTask.account_id == LEGAL_ACCOUNT,
                    CollectorTask.kind == "call",
                    CollectorTask.status == "open",
                )
                .order_by(CollectorTask.id)
            ).all()
            refusals = s.scalars(
                select(AccountAction)
                .where(
                    AccountAction.account_id == LEGAL_ACCOUNT,
                    AccountAction.action == "legal_refused",
                )
                .order_by(AccountAction.id)
            ).all()
            case = s.scalar(
                select(LegalCaseRecord)
                .where(LegalCaseRecord.account_id == LEGAL_ACCOUNT)
                .order_by(LegalCaseRecord.id)
                .limit(1)
            )
            return list(calls), list(refusals), case

    async def _advance(self) -> None:
        # Read in a thread: the worker shares this event loop, and a SQLite read may wait on a writer.
        calls, refusals, case = await asyncio.to_thread(self._read)
        if calls and len(self.collections) < self.criteria.min_effective_collections:
            await self._reach_cardholder(calls)
        for action in refusals:
            if action.id not in self.refusals_seen:
                self.refusals_seen.add(action.id)
                view = await get_status(self.client, LEGAL_ACCOUNT)
                reasons = "; ".join(view.legal.reasons) if view.legal else "see `arrears status`"
                if reasons != self.last_reasons:  # a weekly recheck that finds the same is not news
                    self.last_reasons = reasons
                    self.say(action.dpd, f"the legal step does not refer yet: {reasons}")
        if case is not None and self.case_id is None:
            self.case_id = case.id
            self.say(
                case.dpd,
                f"the legal step refers the account: case {case.id} opened for a principal of "
                f"{case.currency} {case.principal} ({'; '.join(case.decision)})",
            )
        if self.case_id is not None:
            await self._file_claim()

    async def _reach_cardholder(self, calls: list[CollectorTask]) -> None:
        """The collector works the oldest open call; it reaches the cardholder when the spacing lets it count."""
        if self.view is None:
            self.view = await get_status(self.client, LEGAL_ACCOUNT)
        # The episode's clock brings that answer up to now without asking the workflow again.
        view = self.view.at(datetime.now(UTC))
        today = _local_today(view)
        if self.collections and (today - self.collections[-1]).days <= self.criteria.min_days_between:
            return  # a day's margin: the collection counts on the account's local date when it is logged
        task = calls[0]
        await log_contact_outcome(
            self.client,
            LEGAL_ACCOUNT,
            OutcomeInput(
                task_id=task.id,
                outcome=ContactOutcome.RIGHT_PARTY_CONTACT,
                duration_seconds=300,
                reason_for_delinquency=DelinquencyReason.CASH_FLOW,
                collector_id=task.assigned_to or "c-li",
            ),
        )
        self.collections.append(today)
        self.say(
            view.dpd,
            f"{task.assigned_to or 'a collector'} reaches the cardholder on call task {task.id} "
            f"(opened at DPD {task.dpd}): effective collection {len(self.collections)} of "
            f"{self.criteria.min_effective_collections}",
        )

    async def _file_claim(self) -> None:
        view = await get_status(self.client, LEGAL_ACCOUNT)
        claim = self.demo_dir / "legal" / f"{LEGAL_ACCOUNT}-case-{self.case_id}-statement-of-claim.pdf"
        claim.parent.mkdir(parents=True, exist_ok=True)
        claim.write_bytes(
            tiny_pdf(
                [
                    "Statement of claim (synthetic demo document)",
                    f"case {self.case_id}, account {LEGAL_ACCOUNT}",
                    f"principal claimed: {view.currency} {view.principal or view.total_balance}",
                ]
            )
        )
        # The document goes to the evidence store first; the case cites it by id (never by a path).
        store = EvidenceStore(self.demo_dir / "evidence", max_bytes=1_000_000, allowed_types=["application/pdf"])
        stored = await asyncio.to_thread(
            add_local_file, self.sessions, store, LEGAL_ACCOUNT, claim, uploaded_by="legal-team", now=datetime.now(UTC)
        )
        self.filing_on = self.filing_on or _local_today(view)
        result = await update_legal_case(
            self.client,
            LEGAL_ACCOUNT,
            LegalEvent(
                event_id=f"case-{self.case_id}-filed",
                on=self.filing_on,
                by="legal-team",
                new_state=LegalState.FILED,
                cost=COURT_FEE,
                document_id=stored.evidence_id,
            ),
        )
        self.say(
            view.dpd,
            f"the legal team files the claim: case {result.case_id} {result.state.value}, court fee "
            f"{view.currency} {result.costs} ({view.currency} {result.recoverable_costs} charged to "
            f"the account), claim document kept with its SHA-256",
        )
        self.filed.set()


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with these lines of ASCII text: enough for the evidence store to keep as a document."""
    text = (
        "BT /F1 11 Tf 72 760 Td 14 TL "
        + " ".join(
            "(" + line.encode("ascii", "replace").decode().replace("\\", "").replace("(", "[").replace(")", "]") + ") '"
            for line in lines
        )
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("ascii")


# ---- the summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    account_id: str
    unmet: frozenset[Criterion]
    ended: str | None  # the episode's outcome when it has ended
    earliest: date | None  # the first date it could be referred; None: not by waiting (or ended)
    # The first date the collection and time criteria alone could hold (whatever the principal).
    earliest_in_time: date | None


_CRITERION_TEXT = {
    Criterion.COLLECTIONS: "fewer than {n} effective collections",
    Criterion.SPACING: "effective collections less than {days} days apart",
    Criterion.UNPAID_MONTHS: "not yet unpaid {months} months after the last collection",
    Criterion.NOTHING_UNPAID: "nothing unpaid any more",
    Criterion.PRINCIPAL_CURRENCY: "principal not in {currency}",
    Criterion.PRINCIPAL_AMOUNT: "principal under {threshold} {currency}",
}


async def refusals(
    client: Client, sessions: sessionmaker[Session], criteria: LegalCriteria, now: datetime | None = None
) -> list[Refusal]:
    """Every account whose legal step ran and did not refer, with its last check's unmet criteria.

    ``now`` is the real moment the episodes' clocks are read at (a test server's own time in tests).
    """
    now = now or datetime.now(UTC)
    with sessions() as s:
        referred = set(s.scalars(select(LegalCaseRecord.account_id)))
        accounts = sorted(
            set(s.scalars(select(AccountAction.account_id).where(AccountAction.action == "legal_refused"))) - referred
        )
    in_time = criteria.model_copy(update={"min_principal": Decimal(0)})
    found: list[Refusal] = []
    for account_id in accounts:
        try:
            view = (await asyncio.wait_for(get_status(client, account_id), QUERY_SECONDS)).at(now)
        except (TimeoutError, Rejected):  # an episode that does not answer is left out
            continue
        if view.legal is None or view.legal.status != "refused":
            continue
        with sessions() as s:
            due = s.scalar(select(Episode.due_date).where(Episode.episode_id == view.episode_id))
            collected = [
                local_date(at, view.timezone)
                for at in s.scalars(
                    select(EffectiveCollection.occurred_at).where(EffectiveCollection.episode_id == view.episode_id)
                )
            ]
        unmet = frozenset(c for c in map(unmet_criterion, view.legal.reasons) if c is not None)
        earliest = earliest_in_time = None
        if view.outcome is None and due is not None:
            principal = view.principal if view.principal is not None else view.total_balance
            earliest, earliest_in_time = (
                earliest_referral(
                    collected,
                    due_date=due,
                    still_unpaid=view.overdue_amount > 0,
                    principal=principal,
                    currency=view.currency,
                    as_of=_local_today(view),
                    criteria=rules,
                )
                for rules in (criteria, in_time)
            )
        found.append(
            Refusal(account_id, unmet, view.outcome.value if view.outcome else None, earliest, earliest_in_time)
        )
    return found


def _met_from(criterion: Criterion, refused: list[Refusal]) -> str:
    """When the criterion could first be met among the accounts it holds back."""
    held = [r for r in refused if criterion in r.unmet]
    if not criterion.waiting_helps:
        return "not by waiting"
    dated = sorted((r.earliest_in_time, r.account_id) for r in held if r.earliest_in_time is not None)
    if dated:
        return f"{dated[0][0]} ({dated[0][1]})"
    return "episodes ended" if all(r.ended for r in held) else "not by waiting"


def print_legal_summary(
    console: Console, sessions: sessionmaker[Session], refused: list[Refusal], criteria: LegalCriteria
) -> None:
    with sessions() as s:
        cases = s.scalars(select(LegalCaseRecord).order_by(LegalCaseRecord.id)).all()
        events = Counter(s.scalars(select(LegalCaseEvent.case_id)))
    print_table(
        console,
        [
            Column("case", whole=True, justify="right"),
            Column("account", whole=True),
            Column("referred", priority=2),
            Column("DPD", priority=3, justify="right"),
            Column("principal", whole=True, justify="right"),
            Column("state", whole=True),
            Column("costs", priority=1, justify="right"),
            Column("updates", priority=4, justify="right"),
        ],
        [
            [
                str(c.id),
                c.account_id,
                str(c.referred_on),
                str(c.dpd),
                f"{c.principal} {c.currency}",
                c.state,
                f"{c.costs} {c.currency}",
                str(events[c.id]),
            ]
            for c in cases
        ],
        title=f"legal cases referred: {len(cases)} (criteria {criteria.preset})",
        shown_by="`arrears legal ACCOUNT`",
    )
    if not refused:
        return
    words = {
        "n": criteria.min_effective_collections,
        "days": criteria.min_days_between,
        "months": criteria.months_unpaid_after_last,
        "currency": criteria.principal_currency,
        "threshold": criteria.min_principal,
    }
    by_criterion = Counter(c for r in refused for c in r.unmet)
    print_table(
        console,
        [
            Column("unmet criterion at the last check", whole=True),
            Column("accounts", whole=True, justify="right"),
            Column("could be met from", "met from", whole=True),
        ],
        [[_CRITERION_TEXT[c].format(**words), str(n), _met_from(c, refused)] for c, n in by_criterion.most_common()],
        title=f"legal step refused: {len(refused)} account(s), and why (one account may miss several)",
        shown_by=None,
    )
    console.print(
        f"(dates: if the cardholder is reached today and again {criteria.min_days_between} days later, "
        f"and nothing is paid)",
        style="dim",
    )
    running = [r for r in refused if r.ended is None]
    could = sorted((r for r in running if r.earliest is not None), key=lambda r: r.earliest or date.min)
    if could:
        console.print(
            f"first date one of them could be referred: {could[0].earliest} ({could[0].account_id}); "
            f"{len(could)} of {len(running)} running could be"
        )
    elif running:
        console.print(
            f"none of the {len(running)} running could be referred by waiting: the principal must be "
            f"{criteria.min_principal} {criteria.principal_currency} or more"
        )
    for outcome, n in sorted(Counter(r.ended for r in refused if r.ended is not None).items()):
        console.print(f"{n} episode(s) ended {outcome} before the criteria could hold")
