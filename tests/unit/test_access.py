"""Who sees what at the desk: the pure rules behind the API's 404s."""

from arrears.domain.access import TaskFacts, Viewer, sees_account, sees_collector, sees_task
from arrears.domain.strategy import Role

LI = Viewer("c-li", "east", Role.COLLECTOR)
WANG = Viewer("s-wang", "east", Role.SUPERVISOR)
BOSS = Viewer("m-boss", "hq", Role.MANAGER)


def task(assigned_to="c-li", status="open", team="east", assignee_team="east") -> TaskFacts:
    return TaskFacts(assigned_to=assigned_to, status=status, team=team, assignee_team=assignee_team)


def test_a_collector_sees_an_account_only_through_an_open_task_of_their_own():
    assert sees_account(LI, [task()])
    assert not sees_account(LI, [task(status="done")])  # a stale task is no lasting access
    assert not sees_account(LI, [task(assigned_to="c-zhao")])
    assert not sees_account(LI, [])  # no task at all: as if the account did not exist
    assert sees_account(LI, [task(status="done"), task()])


def test_a_supervisor_sees_their_teams_work_and_unplaced_work_only():
    assert sees_account(WANG, [task(assigned_to="c-zhao")])
    assert sees_account(WANG, [task(status="done")])  # the team's closed work too
    assert not sees_account(WANG, [task(assigned_to="c-west", team="west", assignee_team="west")])
    # Moved into the team since it was placed elsewhere: the holder's team counts.
    assert sees_account(WANG, [task(assigned_to="c-new", team="west", assignee_team="east")])
    assert sees_task(WANG, task(assigned_to=None, team=None, assignee_team=None))  # waiting for anyone
    assert not sees_task(WANG, task(assigned_to=None, team="west", assignee_team=None))  # west's escalated queue
    assert not sees_account(WANG, [])


def test_a_manager_sees_everything():
    assert sees_account(BOSS, []) and sees_task(BOSS, task(team="west", assignee_team="west", status="done"))


def test_worklists_own_team_or_all():
    assert sees_collector(LI, "c-li", "east") and not sees_collector(LI, "c-zhao", "east")
    assert sees_collector(WANG, "c-zhao", "east") and not sees_collector(WANG, "c-west", "west")
    assert sees_collector(BOSS, "c-west", "west")
