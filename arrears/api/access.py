"""Who is calling, and what they may see: the bearer token, the rate limit, the scope rules.

The dependency runs in a worker thread (it reads the database), checks the
token (expired, revoked, inactive or absent collector: 401), takes one
request from the token's allowance (429 with Retry-After when spent) and
notes the caller on the request for the API log.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from arrears.db.models import Account, Collector, CollectorTask, Episode
from arrears.desk.tokens import check_token, touch
from arrears.domain.access import TaskFacts, Viewer, is_supervisor, sees_account, sees_task
from arrears.domain.strategy import Role


@dataclass(frozen=True)
class Caller:
    collector_id: str
    name: str
    team: str
    role: Role
    languages: list[str]
    regions: list[str]
    daily_capacity: int
    absent: bool
    token_id: str
    token_name: str
    token_expires_at: datetime

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.collector_id, self.team, self.role)

    @property
    def supervisor(self) -> bool:
        return is_supervisor(self.role)


def unauthorised(reason: str) -> HTTPException:
    return HTTPException(401, f"a valid bearer token is required ({reason})", headers={"WWW-Authenticate": "Bearer"})


def authenticate_request(request: Request, presented: str, now: datetime) -> Caller:
    app = request.app
    address = request.client.host if request.client else "-"
    with app.state.sessions.begin() as session:
        check = check_token(session, presented, now)
        c, t = check.collector, check.token
        if check.refusal is not None or c is None or t is None:  # an admitting check names both
            raise unauthorised(check.refusal or "no such token")
        touch(session, t, now, address)
        caller = Caller(
            c.collector_id,
            c.name,
            c.team,
            Role(c.role),
            list(c.languages or []),
            list(c.regions or []),
            c.daily_capacity,
            c.absent,
            t.token_id,
            t.name,
            t.expires_at,
        )
    request.state.caller = caller
    wait = app.state.rate_limiter.take(caller.token_id)
    if wait > 0:
        raise HTTPException(
            429,
            f"more than {app.state.settings.api_rate_per_minute} requests a minute on this token",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return caller


def not_found(what: str) -> HTTPException:
    # The same words whether it does not exist or is not the caller's to see.
    return HTTPException(404, f"{what} not found among the accounts and tasks you may see")


def _facts(session: Session, *where) -> list[TaskFacts]:
    holder = aliased(Collector)
    rows = session.execute(
        select(CollectorTask.assigned_to, CollectorTask.status, CollectorTask.team, holder.team, Episode.outcome)
        .outerjoin(holder, holder.collector_id == CollectorTask.assigned_to)
        .outerjoin(Episode, Episode.episode_id == CollectorTask.episode_id)
        .where(*where)
    ).all()
    # A task left open when its episode ended is no open task: it gives its holder no access.
    return [
        TaskFacts(assigned_to=a, status="ended" if s == "open" and ended else s, team=t, assignee_team=h)
        for a, s, t, h, ended in rows
    ]


def account_visible(session: Session, who: Caller, account_id: str, *scope) -> bool:
    return sees_account(who.viewer, _facts(session, CollectorTask.account_id == account_id, *scope))


def require_account(session: Session, who: Caller, account_id: str) -> None:
    """404 unless the caller may see the account and it exists (a manager's unknown id is just unknown)."""
    if not account_visible(session, who, account_id) or session.get(Account, account_id) is None:
        raise not_found(f"account {account_id}")


def task_visible(session: Session, who: Caller, task: CollectorTask) -> bool:
    return any(sees_task(who.viewer, f) for f in _facts(session, CollectorTask.id == task.id))


def open_episode(session: Session, who: Caller, account_id: str) -> Episode:
    """The account's open episode, once the caller is known to see the account (404 before 409)."""
    require_account(session, who, account_id)
    episode = session.scalar(
        select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
    )
    if episode is None or episode.outcome is not None:
        ended = f" (last episode ended {episode.outcome})" if episode else ""
        raise HTTPException(409, f"account {account_id} has no open collection episode{ended}")
    if who.role == Role.COLLECTOR and not account_visible(
        session, who, account_id, CollectorTask.episode_id == episode.episode_id
    ):
        raise not_found(f"account {account_id}")  # their open task belongs to an episode that has ended
    return episode


def require_supervisor(who: Caller, action: str) -> None:
    if not who.supervisor:
        raise HTTPException(403, f"only a supervisor or manager may {action}")
