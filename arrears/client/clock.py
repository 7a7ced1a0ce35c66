"""One clock: what the CLI and the API write about an account is stamped in its episode's time.

An episode runs on its own collection clock (arrears.domain.clock.EpisodeClock): the wall clock in
production, compressed days in a simulation. A record written from outside the workflow (an
opt-out, a dial time) must use the same clock, or the record shows a contact "before" an opt-out
that was in fact earlier. The clock is kept on the episode row; where it is not there yet it is
asked of the running workflow (its ``status`` query) and kept for next time.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from arrears.db.models import Episode
from arrears.domain.clock import EpisodeClock


def open_episode(session: Session, account_id: str) -> Episode | None:
    episode = session.scalar(
        select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
    )
    return episode if episode is not None and episode.outcome is None else None


def episode_clock(episode: Episode) -> EpisodeClock | None:
    if episode.day_seconds is None or episode.clock_anchor_real is None or episode.clock_anchor_virtual is None:
        return None
    return EpisodeClock(
        anchor_real=episode.clock_anchor_real,
        anchor_virtual=episode.clock_anchor_virtual,
        day_seconds=episode.day_seconds,
    )


def keep_clock(episode: Episode, clock: EpisodeClock) -> None:
    episode.clock_anchor_real, episode.clock_anchor_virtual = clock.anchor_real, clock.anchor_virtual
    episode.day_seconds = clock.day_seconds


def known_now(session: Session, account_id: str, real_now: datetime) -> datetime:
    """The account's collection time from the record alone (the wall clock where none is known)."""
    episode = open_episode(session, account_id)
    clock = episode_clock(episode) if episode is not None else None
    return clock.virtual(real_now) if clock is not None else real_now


async def collection_now(
    client: Client | None, sessions: sessionmaker[Session], account_id: str, real_now: datetime
) -> datetime:
    """The account's collection time now: its open episode's clock, asked of the workflow once if
    the record does not have it; the wall clock when no episode is open (or Temporal cannot say)."""
    from arrears.client.operations import Rejected, get_status

    with sessions() as session:
        episode = open_episode(session, account_id)
        if episode is None:
            return real_now
        clock = episode_clock(episode)
        episode_id = episode.episode_id
    if clock is None:
        if client is None:
            return real_now
        try:
            view = await get_status(client, account_id)
        except Rejected:
            return real_now
        clock = view.clock
        with sessions.begin() as session:
            episode = session.get(Episode, episode_id)
            if episode is not None:
                keep_clock(episode, clock)
    return clock.virtual(real_now)
