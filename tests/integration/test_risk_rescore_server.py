"""The rescoring schedule on a real dev server: it runs the current period at once, a second worker joins
the running one, a second run of the same period changes nothing, and an event in the record (a broken
promise) brings one episode's rescore forward.

The episodes answering set_risk_segment are SegmentProbe workflows (tests/workflow/segment_probe.py), which
do what the handoff asks of AccountCollection's handler, until the lead's handler lands.
"""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select, update
from temporalio.worker import Worker

from activities.risk import RiskActivities
from arrears.runtime import search_attributes as sa
from arrears.contracts.names import RISK_RESCORE_ID, workflow_id_for
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.db.models import Episode, PromiseToPay, RescoreEvent, RiskSegmentChange
from arrears.risk.dataset import build_labelled_set
from arrears.risk.registry import activate, register
from arrears.risk.rescore import RESCORE_TARGET, propose
from arrears.risk.registry import active_model
from arrears.risk.synthetic import generate
from arrears.risk.synthetic_write import write_record
from arrears.risk.training import train
from arrears.runtime.worker import ensure_risk_rescore
from tests.workflow.helpers import Scenario
from tests.workflow.segment_probe import ProbeInput, SegmentProbe


def trained_model(tmp_path, now: datetime):
    url = f"sqlite:///{tmp_path / 'training.db'}"
    upgrade(url)
    engine = make_engine(url)
    observed = date(2026, 1, 1)
    population = generate(3000, observed, seed=31, prefix="TRN")
    write_record(engine, population, now, behaviour=True)
    model = train(build_labelled_set(engine, RESCORE_TARGET, [observed], population.label_end), (observed, observed), now)
    engine.dispose()
    return model


def open_episodes_today(engine, today: date, now: datetime, prefix: str) -> list[Episode]:
    """Synthetic accounts in arrears on the first of this month, their episodes left running in the record."""
    population = generate(40, today.replace(day=1), seed=32, prefix=prefix)
    write_record(engine, population, now, behaviour=True)
    running = [e["episode_id"] for a in population.of_target("roll_forward_60d") for e in a.episodes
               if e["due_date"] < today.replace(day=1) <= e["closed_at"].date()]
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        s.execute(update(Episode).where(Episode.episode_id.in_(running)).values(
            outcome=None, outcome_reason=None, closed_by=None, closed_at=None, closing_dpd=None))
    with sessions() as s:
        return list(s.scalars(select(Episode).where(Episode.episode_id.in_(running))))


async def wait_for(query, done, timeout: float = 60):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            value = await query()
        except Exception:  # noqa: BLE001 - not started yet
            value = None
        if value is not None and done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        await asyncio.sleep(0.3)


async def test_the_schedule_runs_once_per_period_is_joined_and_follows_events(dev_env, migrated_sqlite, tmp_path):
    client = dev_env.client
    now = datetime.now(timezone.utc)
    today = now.date()
    model = trained_model(tmp_path, now)
    sc = Scenario(client, migrated_sqlite)
    sc.settings = sc.settings.model_copy(update={"rescore_day": 1, "rescore_events_minutes": 60})
    with sc.sessions.begin() as s:
        register(s, model, now)
        activate(s, model.version, "ana", now)
    prefix = f"RS{uuid.uuid4().hex[:5].upper()}"
    episodes = open_episodes_today(sc.engine, today, now, prefix)
    assert len(episodes) >= 8
    with sc.sessions() as s:
        expected = propose(sc.engine, sc.sessions, active_model(s, RESCORE_TARGET), episodes, today)
    moving = {p.account_id: p.segment for p in expected if p.changes}
    assert moving and len(moving) < len(expected), "some episodes move, some stay medium"

    probe_queue = f"probe-{uuid.uuid4()}"
    probes = []
    async with Worker(client, task_queue=probe_queue, workflows=[SegmentProbe],
                      activities=[RiskActivities(None, sc.sessions).record_segment_change],
                      activity_executor=ThreadPoolExecutor(4)):
        for e in episodes:
            probes.append(await client.start_workflow(
                SegmentProbe.run, ProbeInput(episode_id=e.episode_id, account_id=e.account_id, segment="medium"),
                id=workflow_id_for(e.account_id), task_queue=probe_queue))
        async with sc.worker():
            first = await ensure_risk_rescore(client, sc.settings)
            second = await ensure_risk_rescore(client, sc.settings)  # a second worker joins the running one
            handle = client.get_workflow_handle(RISK_RESCORE_ID)
            try:
                assert second.result_run_id == first.result_run_id
                period = f"{today:%Y-%m}"
                summary = await wait_for(lambda: handle.query("last_rescore", result_type=str),
                                         lambda v: v.startswith(period))
                assert summary.startswith(f"{period}: {len(expected)} scored with {model.version}, "
                                          f"{len(moving)} sent, {len(moving)} changed, 0 held by an override"), summary
                for account, segment in moving.items():
                    probe = client.get_workflow_handle(workflow_id_for(account))
                    assert await probe.query("segment_now", result_type=str) == segment
                    described = await probe.describe()
                    assert described.typed_search_attributes.get(sa.RISK_SEGMENT) == segment
                with sc.sessions() as s:
                    recorded = s.scalars(select(RiskSegmentChange)).all()
                    assert {r.account_id: r.segment for r in recorded} == moving
                    assert all(r.request_id.startswith(f"rescore:{period}:") and r.model_version == model.version
                               and r.reasons for r in recorded)
                assert (await handle.query("next_rescore", result_type=str)).startswith(
                    f"{(today.replace(day=28) + timedelta(days=4)):%Y-%m} at ")

                # A second run of the same period (a restarted schedule) changes nothing.
                await handle.terminate("restarted by the test")
                third = await ensure_risk_rescore(client, sc.settings)
                assert third.result_run_id != first.result_run_id
                again = await wait_for(lambda: handle.query("last_rescore", result_type=str),
                                       lambda v: v.startswith(period))
                assert f"{len(expected)} scored" in again and ", 0 sent, 0 changed" in again, again
                with sc.sessions() as s:
                    assert s.scalar(select(func.count()).select_from(RiskSegmentChange)) == len(moving)

                # An event in the record: a broken promise on a running episode is rescored for, once.
                target = episodes[0]
                with sc.sessions.begin() as s:
                    s.add(PromiseToPay(account_id=target.account_id, promise_id="P-EVENT", episode_id=target.episode_id,
                                       amount=Decimal("100"), currency="CNY", promised_date=today, deadline=now,
                                       collector_id="c-1", channel="call", note="", made_at=now, made_dpd=10,
                                       status="broken", paid_toward=Decimal("0"), resolved_at=now - timedelta(hours=1)))
                await handle.signal("rescore_now")
                round_ = await wait_for(lambda: handle.query("last_event_round", result_type=str),
                                        lambda v: " UTC: 1 event(s)," in v)
                assert " UTC: 1 event(s)," in round_
                with sc.sessions() as s:
                    handled = {h.event_key: (h.kind, h.episode_id) for h in s.scalars(select(RescoreEvent))}
                    assert handled[f"promise:{target.account_id}:P-EVENT:broken"] == ("broken_promise", target.episode_id)
                    # The synthetic record's own broken promises were rescored for in the first round, each once.
                    broken = s.scalar(select(func.count()).select_from(PromiseToPay).join(
                        Episode, Episode.episode_id == PromiseToPay.episode_id).where(
                        Episode.outcome.is_(None), PromiseToPay.status == "broken"))
                    assert len(handled) == broken + s.scalar(select(func.count()).select_from(
                        select(RescoreEvent.id).where(RescoreEvent.kind != "broken_promise").subquery()))
            finally:
                await handle.terminate("test over")
                for probe in probes:
                    await probe.signal("stop")
