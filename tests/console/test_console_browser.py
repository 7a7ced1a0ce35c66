"""The collector's console in a real browser: Debian's chromium, headless, driven by Playwright's Python
package, against the real API app (uvicorn on a free port), a real worker and the Temporal dev server.

One module-scoped desk: four accounts whose call steps open within a second (their episodes run on a
compressed clock, 100 collection seconds a second, in a zone where it is daytime now, so the contact
window is open whatever the hour the test runs); c1 holds A1, A3 and A5, c2 holds A2, A4 and A6 (priced). Every
expectation about time is computed in the account's zone from the episode's own clock.

The screenshots in docs/img/ (console-worklist.png, console-account.png) are written by these tests
(ARREARS_UPDATE_DOCS=1 rewrites them; otherwise they are written once, when missing)."""

import asyncio
import os
import re
import shutil
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import async_playwright
from sqlalchemy import select

from arrears import PROJECT_ROOT
from arrears.api.app import create_app
from arrears.client.clock import known_now
from arrears.db.migrate import upgrade
from arrears.db.models import (
    ApiRequest,
    CollectorTask,
    ContactOutcomeRecord,
    EvidenceFile,
    LedgerPosting,
    Plan,
    PromiseToPay,
    Settlement,
    TaskAssignment,
)
from arrears.desk.assign import reassign_task
from arrears.desk.calls import check
from arrears.desk.roster import import_roster
from arrears.desk.tokens import issue_token
from arrears.runtime.devserver import free_port
from arrears.config.strategies import parse_strategy
from tests.console.a11y import A11Y_CHECK, BLOCKING, axe_violations, describe
from tests.workflow.helpers import PRICED as PRICED_STRATEGY
from tests.workflow.helpers import Scenario, account_row

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ZONES = ["Asia/Shanghai", "Europe/London", "America/New_York", "America/Los_Angeles"]
DAY_SECONDS = 864  # one collection day in 14.4 s: the call step, two collection minutes ahead, opens within 1.2 s
DOCS_IMG = PROJECT_ROOT / "docs" / "img"
ROSTER = (
    "collector_id,name,team,role,languages,regions,daily_capacity\n"
    "c1,Li Na,east,collector,en;zh-CN,,20\n"
    "c2,Zhao Lei,east,collector,zh-CN;en,,20\n"
    "sup,Wang Wei,east,supervisor,en,,20\n"
)
HOLDERS = {"A1": "c1", "A2": "c2", "A3": "c1", "A4": "c2", "A5": "c1", "A6": "c2"}
PRICED = {"A6"}  # its episode prices the balance (the default strategy's [pricing]): parts and a posted ledger

pytestmark = [pytest.mark.devserver,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup)")]


def _daytime_zone(now: datetime) -> str:
    """A zone where it is now between 09:00 and 17:59: calls are allowed for the whole test."""
    return next(z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour <= 17)


class Desk:
    def __init__(self, base: str, sc: Scenario, tokens: dict[str, str], tz: str, tasks: dict[str, int], browser, tag: str):
        self.base, self.sc, self.tokens, self.tz, self.tasks, self.browser, self.tag = base, sc, tokens, tz, tasks, browser, tag

    def acc(self, short: str) -> str:
        return f"{self.tag}{short}"

    async def page_as(self, collector_id: str, locale: str = "en-GB", check_sign_in: bool = False):
        context = await self.browser.new_context(service_workers="block", locale=locale,
                                                 viewport={"width": 1400, "height": 1000})
        outside: list[str] = []

        async def only_local(route):
            if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_local)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # (a refused form is answered 4xx on purpose: the browser's "failed to load resource" is not a script error)
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        await page.goto(f"{self.base}/console/worklist")
        assert page.url.endswith("/console/sign-in")  # no session yet
        if check_sign_in:
            await accessible(page)
        await page.get_by_label(re.compile("Desk token|工作台令牌")).fill(self.tokens[collector_id])
        await page.get_by_role("button", name=re.compile("Sign in|登录")).click()
        await page.wait_for_url("**/console/worklist")
        page.outside, page.errors = outside, errors
        return context, page

    def collection_now(self, account_id: str) -> datetime:
        with self.sc.sessions() as s:
            return known_now(s, account_id, datetime.now(timezone.utc))


async def accessible(page) -> None:
    """axe-core (tests/console/vendor/, pinned) finds no violation of serious or critical impact on the page
    as it is now, and our own smaller check (a11y.A11Y_CHECK: one h1, scoped headers, unique ids) passes."""
    problems = await page.evaluate(A11Y_CHECK)
    assert problems == [], problems
    blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"


def shot(page_path: Path):
    return os.environ.get("ARREARS_UPDATE_DOCS") == "1" or not page_path.exists()


@pytest_asyncio.fixture(scope="module")
async def desk(dev_env, tmp_path_factory):
    base = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{base / 'arrears.db'}"
    upgrade(url)
    sc = Scenario(dev_env.client, url)
    now = datetime.now(timezone.utc)
    tz = _daytime_zone(now)
    local = now.astimezone(ZoneInfo(tz))
    roster = base / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    import_roster(sc.sessions, roster, now)
    tokens = {cid: issue_token(sc.sessions, cid, now) for cid in ("c1", "c2", "sup")}
    call_at = (local + timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    steps = [{"id": "console-call", "dpd": 3, "action": "call", "at": call_at.strftime("%H:%M")},
             {"id": "charge-off", "dpd": 180, "action": "charge_off"}]
    strategy = parse_strategy({"name": "console-e2e", "steps": steps})
    priced = parse_strategy({"name": "console-e2e-priced", "steps": steps,
                             "pricing": PRICED_STRATEGY.pricing.model_dump(mode="json")})
    tag = f"K{os.getpid() % 10000:04d}"
    language = "en"  # (customers' names in Latin letters: the machine's chromium has no CJK font for the screenshots)
    evidence_dir = base / "evidence"  # (the evidence store in the test's own directory)
    app = create_app(sc.settings.model_copy(update={"evidence_dir": evidence_dir}), client=dev_env.client,
                     sessions=sc.sessions)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    async with sc.worker():
        for short in HOLDERS:
            row = account_row(f"{tag}{short}", local.date() - timedelta(days=3), tz=tz, language=language)
            row = row.model_copy(update={"billing_address": "1 Century Avenue, Pudong, Shanghai"})
            await sc.start(row, strategy=priced if short in PRICED else strategy, day_seconds=DAY_SECONDS, now=now)
        tasks: dict[str, int] = {}
        deadline = asyncio.get_running_loop().time() + 60
        while len(tasks) < len(HOLDERS):
            assert asyncio.get_running_loop().time() < deadline, f"call tasks did not open: {tasks}"
            with sc.sessions() as s:
                for t in s.scalars(select(CollectorTask).where(CollectorTask.kind == "call")):
                    tasks[t.account_id.removeprefix(tag)] = t.id
            await asyncio.sleep(0.2)
        with sc.sessions() as s:
            holders = {short: s.get(CollectorTask, tid).assigned_to for short, tid in tasks.items()}
        for short, who in HOLDERS.items():  # the desk balances load; the test wants known holders
            if holders[short] != who:
                reassign_task(sc.sessions, tasks[short], who, "sup", "test: known holder", datetime.now(timezone.utc))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                found = Desk(f"http://127.0.0.1:{port}", sc, tokens, tz, tasks, browser, tag)
                found.evidence_dir = evidence_dir
                yield found
            finally:
                await browser.close()
                server.should_exit = True
                await serving


async def test_sign_in_and_the_worklist_with_the_gate_and_local_time(desk):
    context, page = await desk.page_as("c1", check_sign_in=True)
    try:
        cookie = next(c for c in await context.cookies() if c["name"] == "arrears_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]  # plain http here
        a1, a3 = desk.acc("A1"), desk.acc("A3")
        before = desk.collection_now(a1)
        await page.reload()
        after = desk.collection_now(a1)
        rows = page.locator("table.worklist tbody tr")
        assert sorted(await rows.evaluate_all("rs => rs.map(r => r.dataset.account)")) == [a1, a3, desk.acc("A5")]
        row = page.locator(f"tr[data-account='{a1}']")
        # The customer's local time, in the account's zone on the episode's clock, between the two readings.
        shown = (await row.locator("td.local").inner_text()).split()[0]
        zone = ZoneInfo(desk.tz)
        lo, hi = before.astimezone(zone).replace(second=0, microsecond=0), after.astimezone(zone)
        assert lo.strftime("%H:%M") <= shown <= hi.strftime("%H:%M") or lo.date() != hi.date(), (shown, lo, hi)
        # The gate's own answer for the task now.
        with desk.sc.sessions() as s:
            gate = check(s, s.get(CollectorTask, desk.tasks["A1"]), desk.collection_now(a1))
        gate_text = await row.locator("td.gate").inner_text()
        assert gate_text.startswith("yes" if gate.allowed else "no") and gate.rule in gate_text
        assert "left" in await row.locator("td.sla").inner_text()  # 24 h SLA, not yet breached
        assert "Test Customer" not in await page.content()  # names masked
        # Filters: by kind (no visits today) and by stage.
        await page.get_by_label("Kind").select_option("visit")
        await page.get_by_role("button", name="Filter").click()
        assert "No tasks due today." in await page.locator("main").inner_text()
        await page.get_by_label("Kind").select_option("")
        await page.get_by_label("Stage").select_option("early")
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url("**stage=early**")
        assert await page.locator("table.worklist tbody tr").count() == 3
        await accessible(page)
        await page.goto(f"{desk.base}/console/worklist")
        await accessible(page)
        target = DOCS_IMG / "console-worklist.png"
        if shot(target):
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(target), full_page=True)
        # Sign out ends the session: the next page asks to sign in again.
        async with page.expect_navigation(url="**/console/sign-in"):
            await page.get_by_role("button", name="Sign out").click()
        await page.goto(f"{desk.base}/console/worklist")
        assert page.url.endswith("/console/sign-in")
        assert page.errors == [] and page.outside == []
    finally:
        await context.close()


async def test_right_party_contact_and_a_promise_refused_then_taken_once(desk):
    a1 = desk.acc("A1")
    context, page = await desk.page_as("c1")
    try:
        await page.goto(f"{desk.base}/console/accounts/{a1}")
        assert await page.locator("#customer-name").inner_text() == "T***********"  # masked
        assert await page.locator("#dpd").inner_text() == "3"
        await accessible(page)
        target = DOCS_IMG / "console-account.png"
        if shot(target):
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(target), full_page=True)
        # Reveal: shown in full, and logged.
        await page.get_by_role("button", name="Reveal (logged)").click()
        assert await page.locator("#customer-name").inner_text() == "Test Customer"
        with desk.sc.sessions() as s:
            logged = s.scalars(select(ApiRequest).where(ApiRequest.path == f"/console/accounts/{a1}/reveal")).all()
        assert [(r.collector_id, r.account_id, r.status) for r in logged] == [("c1", a1, 200)]

        await page.goto(f"{desk.base}/console/accounts/{a1}")
        # Too high: the validator's reason, in place, beside the promise form; the amount entered is kept.
        form = page.locator("#form-promise")
        await form.get_by_label(re.compile("Amount")).fill("5000.00")
        await form.get_by_role("button", name="Take the promise").click()
        error = page.locator("#promise-error")
        await error.wait_for()
        assert "above the overdue amount 1000" in await error.inner_text()
        assert await page.locator("#promise-amount").input_value() == "5000.00"
        assert await page.locator("#promise-amount").get_attribute("aria-invalid") == "true"
        await accessible(page)  # the refused state: the alert beside the form, the field marked invalid

        # A promise of 300 on the default date (three days on, in the account's zone).
        form = page.locator("#form-promise")
        expected_date = (desk.collection_now(a1).astimezone(ZoneInfo(desk.tz)).date() + timedelta(days=3))
        assert await form.get_by_label("Promised date").input_value() == expected_date.isoformat()
        await form.get_by_label(re.compile("Amount")).fill("300.00")
        fields = await form.evaluate("f => Object.fromEntries(new FormData(f))")
        async with page.expect_navigation(url=f"**/console/accounts/{a1}"):
            await form.get_by_role("button", name="Take the promise").click()
        assert "Recorded." in await page.locator(".flash").inner_text()
        assert "PTP-" + fields["key"] in await page.locator("#promises").inner_text()
        # The same form sent again (a double submit): nothing is done twice.
        again = await page.request.post(f"{desk.base}/console/accounts/{a1}/promise", form=fields)
        assert again.ok and "Already recorded: nothing was done twice." in await again.text()
        # ...and from another session of c1's (the console does not know the key there): the workflow's own
        # rule on a repeated promise id answers "duplicate", and still one promise is on record.
        other_context, other = await desk.page_as("c1")
        try:
            await other.goto(f"{desk.base}/console/accounts/{a1}")
            other_csrf = await other.locator("#form-promise input[name=csrf]").input_value()
            twin = await other.request.post(f"{desk.base}/console/accounts/{a1}/promise",
                                            form={**fields, "csrf": other_csrf})
            assert twin.ok and "Already recorded: nothing was done twice." in await twin.text()
        finally:
            await other_context.close()
        with desk.sc.sessions() as s:
            promises = s.scalars(select(PromiseToPay).where(PromiseToPay.account_id == a1)).all()
        assert [(p.amount, p.status, p.collector_id) for p in promises] == [(300, "active", "c1")]
        # Then the call's outcome: a right-party contact.
        form = page.locator("#form-outcome")
        await form.get_by_label("Outcome").select_option("right_party_contact")
        await form.get_by_label("Duration (seconds)").fill("180")
        await form.get_by_label("Reason for delinquency").select_option("cash_flow")
        await form.get_by_role("button", name="Record").click()
        # The outcome closes c1's task, and with it c1's view of the account: back to the worklist.
        await page.wait_for_url("**/console/worklist")
        assert "Recorded." in await page.locator(".flash").inner_text()
        assert await page.locator(f"tr[data-account='{a1}']").count() == 0
        with desk.sc.sessions() as s:
            outcome = s.scalar(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == desk.tasks["A1"]))
        assert outcome is not None and outcome.outcome == "right_party_contact"

        assert page.errors == [] and page.outside == []
    finally:
        await context.close()


async def test_an_instalment_plan_is_agreed(desk):
    a3 = desk.acc("A3")
    context, page = await desk.page_as("c1")
    try:
        await page.goto(f"{desk.base}/console/accounts/{a3}")
        form = page.locator("#form-plan")
        # The offered rows cover the overdue 1,000 in three instalments from a week on (the account's days).
        today = desk.collection_now(a3).astimezone(ZoneInfo(desk.tz)).date()
        assert await page.locator("#plan-due-1").input_value() == (today + timedelta(days=7)).isoformat()
        async with page.expect_navigation(url=f"**/console/accounts/{a3}"):
            await form.get_by_role("button", name="Agree the plan").click()
        assert "Recorded." in await page.locator(".flash").inner_text()
        plan_text = await page.locator("#plan").inner_text()
        assert plan_text.startswith("PL-") and "333.33" in plan_text and "333.34" in plan_text
        with desk.sc.sessions() as s:
            plans = s.scalars(select(Plan).where(Plan.account_id == a3)).all()
        assert len(plans) == 1 and plans[0].approved_by == "c1"

        # A callback two hours on, in the customer's local time (the form's default).
        form = page.locator("#form-callback")
        wanted = await form.get_by_label(re.compile("Callback at")).input_value()
        async with page.expect_navigation(url="**/console/worklist"):  # the call's outcome closes the task
            await form.get_by_role("button", name="Schedule").click()
        assert "Recorded." in await page.locator(".flash").inner_text()
        with desk.sc.sessions() as s:
            outcome = s.scalar(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == desk.tasks["A3"]))
        assert outcome.outcome == "callback_requested"
        assert outcome.callback_at.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(desk.tz)).strftime(
            "%Y-%m-%dT%H:%M") == wanted
    finally:
        await context.close()


async def test_a_hold_refused_in_place_then_placed(desk):
    a5 = desk.acc("A5")
    context, page = await desk.page_as("c1")
    try:
        await page.goto(f"{desk.base}/console/accounts/{a5}")
        form = page.locator("#form-hold")
        await form.get_by_label("Hold type").select_option("dispute")
        await form.get_by_label("Reason").select_option("customer disputes the amount owed")
        await form.get_by_label("Days").fill("5")
        async with page.expect_navigation():
            await form.get_by_role("button", name="Place the hold").click()  # days go with a hardship only
        error = page.locator("#hold-error")
        assert "days go only with a hardship hold" in await error.inner_text()
        await accessible(page)
        form = page.locator("#form-hold")
        await form.get_by_label("Hold type").select_option("hardship")
        await form.get_by_label("Reason").select_option("customer reports financial hardship")
        await form.get_by_label("Days").fill("30")
        async with page.expect_navigation():
            await form.get_by_role("button", name="Place the hold").click()
        assert "Recorded." in await page.locator(".flash").inner_text()
        if page.url.endswith(f"/accounts/{a5}"):  # (the hold may close the collector's task, and so their view)
            assert "hardship (active)" in await page.locator("#holds").inner_text()
        status = await desk.sc.client.get_workflow_handle(f"arrears-{a5}").query("status")
        assert [(h["hold_type"], h["status"], h["days"]) for h in status["holds"]] == [("hardship", "active", 30)]
    finally:
        await context.close()


async def test_a_supervisor_reassigns_a_task_and_sees_the_scorecard(desk):
    a4 = desk.acc("A4")
    task_id = desk.tasks["A4"]
    # c2's call on A2 past its SLA (an hour ago on the episode's clock): the team queue shows the breach.
    with desk.sc.sessions.begin() as s:
        s.get(CollectorTask, desk.tasks["A2"]).sla_due_at = desk.collection_now(desk.acc("A2")) - timedelta(hours=1)
    context, page = await desk.page_as("sup")
    try:
        await page.goto(f"{desk.base}/console/team")
        breaches = await page.locator("#breaches").inner_text()
        assert f"{desk.tasks['A2']} · {desk.acc('A2')} · c2 · breached 1h" in breaches, breaches
        await accessible(page)
        row = page.locator(f"#team-tasks tr[data-task='{task_id}']")
        assert await row.locator("td.holder").inner_text() == "c2"
        # A team member's worklist, as the supervisor sees it.
        await page.goto(f"{desk.base}/console/worklist")
        await page.get_by_label("Collector").select_option("c2")
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url("**collector=c2**")
        listed = await page.locator("table.worklist tbody tr").evaluate_all("rs => rs.map(r => r.dataset.account)")
        assert sorted(listed) == sorted(desk.acc(a) for a in ("A2", "A4", "A6"))
        await accessible(page)  # (the supervisor's worklist: the team member picker)
        await page.goto(f"{desk.base}/console/team")
        row = page.locator(f"#team-tasks tr[data-task='{task_id}']")
        await row.get_by_label("to").select_option("c1")
        await row.get_by_label("Reason").fill("c2 on training")
        async with page.expect_navigation(url="**/console/team"):
            await row.get_by_role("button", name="Move").click()
        assert "Reassigned." in await page.locator(".flash").inner_text()
        assert await page.locator(f"#team-tasks tr[data-task='{task_id}'] td.holder").inner_text() == "c1"
        with desk.sc.sessions() as s:
            moves = s.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task_id)
                              .order_by(TaskAssignment.id.desc())).first()
        assert (moves.collector_id, moves.by, moves.reason) == ("c1", "sup", "reassigned_manual")
        # The account's timeline with the workflow's half: the run's start and the reassignment on record.
        await page.goto(f"{desk.base}/console/accounts/{a4}")
        await page.locator("#with-history").click()
        await page.wait_for_url("**history=1")
        timeline = await page.locator("#timeline").inner_text()
        assert f"workflow arrears-{a4} started" in timeline and "history" in timeline
        assert f"task {task_id}: c2 -> c1" in timeline, timeline
        await accessible(page)
        # The team's scorecard for this month (the report of arrears.insight).
        await page.get_by_role("link", name="Scorecard").click()
        await page.wait_for_url("**/console/scorecard")
        table = page.locator("#scorecard-collectors")
        await table.wait_for()
        assert {"c1", "c2"} <= set((await table.inner_text()).split())
        await accessible(page)
        # A collector may not see the supervisor's pages.
        c_context, c_page = await desk.page_as("c2")
        try:
            answer = await c_page.goto(f"{desk.base}/console/team")
            assert answer.status == 403
        finally:
            await c_context.close()
    finally:
        await context.close()


async def test_a_collector_opening_another_collectors_account_gets_a_404_page(desk):
    a2 = desk.acc("A2")
    context, page = await desk.page_as("c1")
    try:
        answer = await page.goto(f"{desk.base}/console/accounts/{a2}")
        assert answer.status == 404
        assert "not among the accounts and tasks you may see" in await page.locator("main").inner_text()
        await accessible(page)
        unknown = await page.goto(f"{desk.base}/console/accounts/NOPE-1")
        assert unknown.status == 404 and await page.locator("main").inner_text() == await page.locator("main").inner_text()
        # The API answers the same.
        async with httpx.AsyncClient(base_url=desk.base) as http:
            api = await http.get(f"/accounts/{a2}", headers={"Authorization": f"Bearer {desk.tokens['c1']}"})
        assert api.status_code == 404
    finally:
        await context.close()


async def test_a_post_without_the_csrf_token_is_refused(desk):
    a1 = desk.acc("A1")
    context, page = await desk.page_as("c1")
    try:
        with desk.sc.sessions() as s:
            before = len(s.scalars(select(PromiseToPay).where(PromiseToPay.account_id == a1)).all())
        tomorrow = (desk.collection_now(a1).astimezone(ZoneInfo(desk.tz)).date() + timedelta(days=1)).isoformat()
        refused = await page.request.post(f"{desk.base}/console/accounts/{a1}/promise",
                                          form={"key": "abc123", "amount": "200", "promised_date": tomorrow})
        assert refused.status == 403
        forged = await page.request.post(f"{desk.base}/console/accounts/{a1}/promise",
                                         form={"csrf": "forged", "key": "abc124", "amount": "200",
                                               "promised_date": tomorrow})
        assert forged.status == 403
        with desk.sc.sessions() as s:
            assert len(s.scalars(select(PromiseToPay).where(PromiseToPay.account_id == a1)).all()) == before
    finally:
        await context.close()


async def test_a_priced_balance_by_part_and_its_posted_ledger(desk):
    a6 = desk.acc("A6")
    context, page = await desk.page_as("c2")
    try:
        await page.goto(f"{desk.base}/console/accounts/{a6}")
        balance = await page.locator("#h-balance + dl").inner_text()
        assert "本金\n¥5,000.00" in balance and "利息" in balance and "费用" in balance  # (c2 reads Chinese)
        with desk.sc.sessions() as s:
            posted = s.scalars(select(LedgerPosting).where(LedgerPosting.account_id == a6)
                               .order_by(LedgerPosting.posted_on, LedgerPosting.id)).all()
        rows = page.locator("#ledger tbody tr")
        assert posted and await rows.count() == len(posted)
        assert [t.split("\t")[1] for t in await rows.all_inner_texts()] == [p.kind for p in posted]
        await accessible(page)  # (an account page in Chinese, with the ledger's rows)
    finally:
        await context.close()


async def test_a_chinese_speaking_collector_gets_the_page_in_chinese(desk):
    context, page = await desk.page_as("c2", locale="en-GB")  # the roster's language wins over the browser's
    try:
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        main = await page.locator("main").inner_text()
        assert "工作清单" in main and "客户当地时间" in main and "现在可以联系吗？" in main
        assert "¥1,000.00" in main  # Babel's money for zh_Hans_CN
        await accessible(page)
        # The language switch on the page overrides the roster's.
        await page.get_by_label("语言").select_option("en")
        async with page.expect_navigation(url="**/console/worklist"):
            await page.get_by_role("button", name="切换").click()
        assert "Customer's local time" in await page.locator("main").inner_text()
    finally:
        await context.close()


async def test_a_settlement_above_the_collectors_limit_is_refused_then_one_within_it_offered(desk):
    a2 = desk.acc("A2")  # c2's (a collector: a 10% discount limit); c2 reads Chinese, so ids, not labels
    status = await desk.sc.client.get_workflow_handle(f"arrears-{a2}").query("status")
    total = Decimal(str(status["total_balance"]))
    context, page = await desk.page_as("c2")
    try:
        await page.goto(f"{desk.base}/console/accounts/{a2}")
        await accessible(page)
        above = (total * Decimal("0.85")).quantize(Decimal("0.01"))
        await page.locator("#settlement-amount").fill(str(above))
        discount = page.locator("#settlement-discount")  # shown live by console.js
        assert "15.00%" in await discount.inner_text() and "10%" in await discount.inner_text()
        async with page.expect_navigation():
            await page.locator("#form-settlement button[type=submit]").click()
        error = page.locator("#settlement-error")
        assert "15.00% discount is above the collector limit of 10%" in await error.inner_text()
        assert await page.locator("#settlement-amount").input_value() == str(above)
        assert await page.locator("#settlement-amount").get_attribute("aria-invalid") == "true"

        within = (total * Decimal("0.95")).quantize(Decimal("0.01"))
        await page.locator("#settlement-amount").fill(str(within))
        assert "5.00%" in await discount.inner_text()
        fields = await page.locator("#form-settlement").evaluate("f => Object.fromEntries(new FormData(f))")
        async with page.expect_navigation(url=f"**/console/accounts/{a2}"):
            await page.locator("#form-settlement button[type=submit]").click()
        offer_id = "ST-" + fields["key"]
        assert offer_id in await page.locator("#open-offer").inner_text()
        rows = []
        for _ in range(50):  # the record is written by the workflow's activity, just after the update's answer
            with desk.sc.sessions() as s:
                rows = s.scalars(select(Settlement).where(Settlement.account_id == a2)).all()
            if rows:
                break
            await asyncio.sleep(0.1)
        assert [(r.offer_id, r.amount, r.approved_by, r.approver_role, r.status) for r in rows] == [
            (offer_id, within, "c2", "collector", "open")]
        assert page.errors == [] and page.outside == []
    finally:
        await context.close()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


async def test_evidence_with_a_call_outcome_refused_in_place_then_stored_once_by_hash(desk):
    import hashlib

    a4, task_id = desk.acc("A4"), desk.tasks["A4"]
    with desk.sc.sessions() as s:
        holder = s.get(CollectorTask, task_id).assigned_to  # c1 after the supervisor's move, else c2
    context, page = await desk.page_as(holder)
    try:
        await page.goto(f"{desk.base}/console/accounts/{a4}")
        # Not a picture or PDF, whatever it says it is: refused in place, nothing stored, the task still open.
        await page.locator("#outcome-evidence").set_input_files(
            {"name": "photo.png", "mimeType": "image/png", "buffer": b"just some text, not a picture"})
        async with page.expect_navigation():
            await page.locator("#form-outcome button[type=submit]").click()
        assert "unrecognised file type" in await page.locator("#outcome-error").inner_text()
        with desk.sc.sessions() as s:
            assert s.scalars(select(EvidenceFile).where(EvidenceFile.account_id == a4)).all() == []
            assert s.get(CollectorTask, task_id).status == "open"
        # A photo with an outcome the workflow refuses (promise_made without a promise): the photo is kept,
        # its id shown beside the refusal and carried by the form.
        sha = hashlib.sha256(PNG).hexdigest()
        await page.locator("#outcome-outcome").select_option("promise_made")
        await page.locator("#outcome-evidence").set_input_files(
            {"name": "doorstep.png", "mimeType": "image/png", "buffer": PNG})
        async with page.expect_navigation():
            await page.locator("#form-outcome button[type=submit]").click()
        assert "record the promise first" in await page.locator("#outcome-error").inner_text()
        assert f"ev-{sha}" in await page.locator("#outcome-evidence-stored").inner_text()
        # ...and the hold form offers it as the hold's evidence (the contract's evidence_ref).
        assert await page.locator(f"#hold-evidence option[value='ev-{sha}']").count() == 1
        # The same photo again with a right-party contact: recorded, the file kept once by its hash.
        await page.locator("#outcome-outcome").select_option("right_party_contact")
        await page.locator("#outcome-evidence").set_input_files(
            {"name": "doorstep-again.png", "mimeType": "image/png", "buffer": PNG})
        async with page.expect_navigation(url="**/console/worklist"):
            await page.locator("#form-outcome button[type=submit]").click()
        assert f"ev-{sha}" in await page.locator("main").inner_text()  # the id, to cite on a hold
        with desk.sc.sessions() as s:
            files = s.scalars(select(EvidenceFile).where(EvidenceFile.account_id == a4)).all()
            outcome = s.scalar(select(ContactOutcomeRecord).where(ContactOutcomeRecord.task_id == task_id))
        assert [(f.evidence_id, f.media_type, f.size_bytes, f.filename, f.uploaded_by, f.source) for f in files] == [
            (f"ev-{sha}", "image/png", len(PNG), "doorstep.png", holder, "console")]
        stored = desk.evidence_dir / "sha256" / sha[:2] / sha
        assert stored.read_bytes() == PNG
        assert [p.name for p in (desk.evidence_dir / "sha256").rglob("*") if p.is_file()] == [sha]
        assert outcome is not None and outcome.outcome == "right_party_contact"
        assert page.errors == [] and page.outside == []
    finally:
        await context.close()
