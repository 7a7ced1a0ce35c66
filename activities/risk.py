"""The risk activities: rescoring pages of open episodes and the episodes events call for, and
recording a segment change (called by the collection workflow's set_risk_segment handler)."""

import asyncio
import hashlib
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client

from arrears.contracts.collection_activities import SegmentChangeCommand
from arrears.contracts.housekeeping import (
    RescoreEventsRequest,
    RescoreEventsResult,
    RescorePageRequest,
    RescorePageResult,
)
from arrears.contracts.names import RECORD_SEGMENT_CHANGE, RESCORE_EVENTS, RESCORE_PAGE
from arrears.risk.rescore import mark_handled, pending_events, record_change, score_page, send


class RiskActivities:
    def __init__(self, client: Client | None, sessions: sessionmaker[Session]) -> None:
        self.client = client
        self.sessions = sessions
        self.engine = sessions.kw["bind"]

    def all(self) -> list[Callable]:
        found = [self.record_segment_change]
        return found + ([self.rescore_page, self.rescore_events] if self.client is not None else [])

    @activity.defn(name=RECORD_SEGMENT_CHANGE)
    def record_segment_change(self, cmd: SegmentChangeCommand) -> bool:
        # One row per (episode, request id) under a unique key: a retry finds its row.
        return record_change(self.sessions, cmd)

    @activity.defn(name=RESCORE_PAGE)
    async def rescore_page(self, request: RescorePageRequest) -> RescorePageResult:
        # Scoring compares with the segment the record shows, and the request id is fixed per
        # period and episode: a retried page sends nothing new, a repeated send is a duplicate.
        page = await asyncio.to_thread(
            score_page, self.engine, self.sessions, request.as_of, request.after_account, request.limit
        )
        if page.model_version is None:
            return RescorePageResult(period=request.period, scored=0, changed=0, sent=0, overridden=0, next_after=None)
        sent = await send(
            self.client, page.model_version, page.proposals, f"rescore:{request.period}", heartbeat=activity.heartbeat
        )
        return RescorePageResult(
            period=request.period,
            scored=page.scored,
            changed=sent.changed,
            sent=sent.sent,
            overridden=sent.overridden,
            failed=sent.failed,
            next_after=page.next_after,
            model_version=page.model_version,
        )

    @activity.defn(name=RESCORE_EVENTS)
    async def rescore_events(self, request: RescoreEventsRequest) -> RescoreEventsResult:
        with self.sessions() as session:
            events = pending_events(session, request.limit)
        if not events:
            return RescoreEventsResult(events=0, scored=0, changed=0, sent=0)
        accounts = sorted({e.account_id for e in events})
        page = await asyncio.to_thread(
            score_page, self.engine, self.sessions, request.as_of, None, len(accounts) + 1, accounts
        )
        if page.model_version is None:
            return RescoreEventsResult(events=len(events), scored=0, changed=0, sent=0)
        # One request per episode and batch of events: the first event's key names it.
        first: dict[str, str] = {}
        for e in events:
            first.setdefault(e.episode_id, e.key)
        sent_total = None
        for episode_id, key in first.items():
            chosen = [p for p in page.proposals if p.episode_id == episode_id]
            # Keys can be long (account and promise ids); the request id carries a digest of the key.
            digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
            result = await send(
                self.client, page.model_version, chosen, f"event:{digest}", heartbeat=activity.heartbeat
            )
            sent_total = result if sent_total is None else _add(sent_total, result)
        # Events are noted after their episodes were sent to: a crash before this re-sends the same
        # request ids, which the episodes answer as duplicates. An episode that refused (it ended, say)
        # is not asked again for the same event; the next period's rescore covers it anyway.
        await asyncio.to_thread(mark_handled, self.sessions, events, request.at)
        assert sent_total is not None  # events is not empty: one episode was sent to at least
        return RescoreEventsResult(
            events=len(events),
            scored=page.scored,
            changed=sent_total.changed,
            sent=sent_total.sent,
            failed=sent_total.failed,
        )


def _add(a, b):
    a.changed += b.changed
    a.sent += b.sent
    a.overridden += b.overridden
    a.failed += b.failed
    return a
