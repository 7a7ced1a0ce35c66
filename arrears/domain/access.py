"""Who may see which account and task at the desk: least privilege, decided before anything is looked up.

- a collector sees an account only while one of its tasks is open and assigned to them;
- a supervisor sees their team's work: tasks held by their team (or by one of its members), and tasks
  nobody's team holds yet (waiting for a collector, or escalated while nobody held them);
- a manager sees everything.

An account the caller may not see is answered exactly like one that does not exist (404), so the desk
API cannot be used to find out which accounts exist or how their episodes ended.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from arrears.domain.desk import ROLE_RANK
from arrears.domain.strategy import Role


@dataclass(frozen=True)
class Viewer:
    collector_id: str
    team: str
    role: Role


@dataclass(frozen=True)
class TaskFacts:
    assigned_to: str | None
    status: str  # open | done | ...
    team: str | None  # the team the task was placed with
    assignee_team: str | None  # the current holder's team


def is_supervisor(role: Role) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[Role.SUPERVISOR]


def sees_task(viewer: Viewer, task: TaskFacts) -> bool:
    if viewer.role == Role.MANAGER:
        return True
    if viewer.role == Role.SUPERVISOR:
        unplaced = task.team is None and task.assigned_to is None
        return unplaced or viewer.team in (task.team, task.assignee_team)
    return task.status == "open" and task.assigned_to == viewer.collector_id


def sees_account(viewer: Viewer, tasks: Iterable[TaskFacts]) -> bool:
    """Whether the viewer may see an account with these tasks (an account with none: managers only)."""
    if viewer.role == Role.MANAGER:
        return True
    return any(sees_task(viewer, t) for t in tasks)


def sees_collector(viewer: Viewer, collector_id: str, collector_team: str | None) -> bool:
    """Whose worklist the viewer may read: their own; a supervisor their team's; a manager anyone's."""
    if collector_id == viewer.collector_id or viewer.role == Role.MANAGER:
        return True
    return viewer.role == Role.SUPERVISOR and collector_team == viewer.team
