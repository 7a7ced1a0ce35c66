"""Agencies on SQLite and PostgreSQL: the file import, placements written once, capacity under concurrency."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.desk.agencies import AgencyFileError, import_agencies, list_agencies, read_agencies
from arrears.contracts.collection_activities import CommissionCommand, PlacementChangeCommand, PlacementCommand
from arrears.db.models import Agency, AgencyCommission, AgencyPlacement, CollectorTask, OutboxMessage
from arrears.domain.strategy import Action
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd

HEADER = "agency_id,name,commission_percent,capacity,placement_days\n"


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    yield e
    e.engine.dispose()


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "agencies.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def placement_cmd(account_id: str, episode_id: str, dpd: int = 120) -> PlacementCommand:
    step = step_cmd(account_id, episode_id, Action.AGENCY, "late-agency", dpd=dpd, stage="late")
    return PlacementCommand(step=step, timezone="Asia/Shanghai")


def opened(env: Env, account_id: str) -> str:
    env.add_account(account_row(account_id))
    return env.open(account_id)


def change(key: str, status: str, renewals: int = 0, ends_at: datetime = NOW, reason: str = "r") -> PlacementChangeCommand:
    return PlacementChangeCommand(episode_id="ep", account_id="A", idempotency_key=key, status=status,
                                  renewals=renewals, ends_at=ends_at, reason=reason, at=NOW)


# ---- the agencies file --------------------------------------------------------------------


def test_import_upserts_good_rows_and_reports_bad_ones_by_line(env, tmp_path):
    path = write(tmp_path, "AG1,North,15,2,30\nAG2,East,100,5,30\nAG3,Metro,12.5,1,45\nAG4,West,10,0,400\nAG1,Again,1,1,1\n")
    result = import_agencies(env.sessions, path, NOW)
    assert result.added == ["AG1", "AG3"]
    reasons = {r.line: r.reason for r in result.rejected}
    assert reasons[3].startswith("commission_percent: commission must be above 0 and below 100 percent")
    assert "capacity:" in reasons[5] and "placement_days:" in reasons[5]
    assert reasons[6] == "duplicate agency_id (first on line 2)"
    with env.sessions() as s:
        rows = {a.agency_id: a for a in s.scalars(select(Agency))}
    assert set(rows) == {"AG1", "AG3"}
    assert rows["AG3"].commission_percent == Decimal("12.5") and rows["AG3"].placement_days == 45


def test_reimport_updates_terms_and_retires_agencies_no_longer_listed(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\nAG2,East,12,5,30\nAG3,Metro,12.5,1,45\n"), NOW)
    later = NOW + timedelta(days=1)
    # AG2 has a bad row this time: it keeps its terms rather than being retired.
    result = import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\nAG2,East,12,-1,30\nAG3,Metro,20,3,45\n"), later)
    assert (result.unchanged, result.updated, result.retired) == (["AG1"], ["AG3"], [])
    result = import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\n"), later)
    assert result.retired == ["AG2", "AG3"]
    listed = {a.agency_id: a for a in list_agencies(env.sessions)}
    assert (listed["AG3"].active, listed["AG3"].capacity, listed["AG3"].commission_percent) == (False, 3, Decimal("20"))
    assert listed["AG1"].active and listed["AG2"].capacity == 5
    result = import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\nAG3,Metro,20,3,45\n"), later)
    assert result.updated == ["AG3"], "listed again: active again"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("agency_id,name,commission,capacity,placement_days\n", "missing column(s): commission_percent; unknown column(s): commission"),
        ("agency_id,name,commission_percent,capacity\n", "missing column(s): placement_days"),
    ],
)
def test_a_bad_header_names_the_column(tmp_path, header, named):
    with pytest.raises(AgencyFileError) as exc:
        read_agencies(write(tmp_path, "", header=header))
    assert str(exc.value) == f"line 1 (header): {named}"


def test_example_file_is_valid():
    good, bad = read_agencies(Path(__file__).parents[2] / "examples" / "agencies.csv")
    assert len(good) == 3 and bad == []


# ---- placements -----------------------------------------------------------------------------


def test_placement_is_written_once_and_counts_against_capacity(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\nAG2,East,12.5,4,45\n"), NOW)
    episode = opened(env, "P1")
    cmd = placement_cmd("P1", episode)
    first = env.acts.place_with_agency(cmd)
    again = env.acts.place_with_agency(cmd)
    assert first.placement is not None and not first.duplicate and again.duplicate
    assert again.placement == first.placement
    p = first.placement
    # Both are empty: a tie, broken by agency_id.
    assert (p.agency_id, p.agency_name, p.commission_percent, p.placement_days) == ("AG1", "North", Decimal("15"), 30)
    assert p.ends_at == NOW + timedelta(days=30)
    assert env.count(AgencyPlacement) == 1
    assert env.count(OutboxMessage, topic="agency") == 1
    assert {a.agency_id: a.open_placements for a in list_agencies(env.sessions)} == {"AG1": 1, "AG2": 0}
    # AG1 is now half full, AG2 empty: the next account goes to AG2.
    second = env.acts.place_with_agency(placement_cmd("P2", opened(env, "P2")))
    assert second.placement is not None and second.placement.agency_id == "AG2"


def test_no_agency_with_room_records_a_task_saying_why(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,15,1,30\n"), NOW)
    env.acts.place_with_agency(placement_cmd("Q1", opened(env, "Q1")))
    cmd = placement_cmd("Q2", opened(env, "Q2"))
    result = env.acts.place_with_agency(cmd)
    assert result.placement is None and result.task_id is not None and not result.duplicate
    again = env.acts.place_with_agency(cmd)
    assert again.placement is None and again.task_id == result.task_id and again.duplicate
    task = env.rows(CollectorTask)[0]
    assert task.kind == "agency" and task.account_id == "Q2"
    assert task.note.startswith("NOT PLACED with an agency: every agency is at capacity (AG1 1/1)")
    assert env.count(AgencyPlacement) == 1


def test_no_agency_on_file_is_recorded_too(env):
    result = env.acts.place_with_agency(placement_cmd("Q3", opened(env, "Q3")))
    assert result.placement is None
    assert "no active agency is on file" in env.rows(CollectorTask)[0].note


def test_renew_recall_and_close_are_each_written_once(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,15,3,30\n"), NOW)
    placed = env.acts.place_with_agency(placement_cmd("R1", opened(env, "R1"))).placement
    key = placed.idempotency_key
    renewed_to = placed.ends_at + timedelta(days=30)
    assert env.acts.renew_placement(change(key, "renewed", 1, renewed_to, "collected in the period")) is True
    assert env.acts.renew_placement(change(key, "renewed", 1, renewed_to, "collected in the period")) is False
    with env.sessions() as s:
        row = s.scalars(select(AgencyPlacement)).one()
        assert (row.status, row.renewals, row.ends_at) == ("renewed", 1, renewed_to)
    assert env.acts.recall_placement(change(key, "recalled", reason="no payment reported in 30 days")) is True
    assert env.acts.recall_placement(change(key, "recalled")) is False
    assert env.acts.close_placement(change(key, "closed")) is False, "a recalled placement stays recalled"
    with env.sessions() as s:
        row = s.scalars(select(AgencyPlacement)).one()
        assert (row.status, row.ended_at, row.reason) == ("recalled", NOW, "no payment reported in 30 days")
    events = [m.payload["event"] for m in env.rows(OutboxMessage) if m.topic == "agency"]
    assert events == ["placed", "renewed", "recalled"]
    assert {a.agency_id: a.open_placements for a in list_agencies(env.sessions)} == {"AG1": 0}

    other = env.acts.place_with_agency(placement_cmd("R2", opened(env, "R2"))).placement
    assert env.acts.close_placement(change(other.idempotency_key, "closed", reason="episode ended: cured")) is True
    assert env.acts.close_placement(change(other.idempotency_key, "closed")) is False


def test_a_commission_is_recorded_once_per_payment(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,12.5,3,30\n"), NOW)
    episode = opened(env, "C1")
    placed = env.acts.place_with_agency(placement_cmd("C1", episode)).placement

    def cmd(payment_id: str, amount: str, fee: str) -> CommissionCommand:
        return CommissionCommand(episode_id=episode, account_id="C1", placement_id=placed.placement_id,
                                 agency_id="AG1", payment_id=payment_id, payment_amount=Decimal(amount),
                                 percent=Decimal("12.5"), commission=Decimal(fee), currency="CNY")

    assert env.acts.record_commission(cmd("PAY-1", "33.30", "4.16")) is True
    assert env.acts.record_commission(cmd("PAY-1", "33.30", "4.16")) is False
    assert env.acts.record_commission(cmd("PAY-2", "100.10", "12.51")) is True
    with env.sessions() as s:
        assert s.scalars(select(AgencyPlacement)).one().collected == Decimal("133.40")
        fees = sorted(c.commission for c in s.scalars(select(AgencyCommission)))
    assert fees == [Decimal("4.16"), Decimal("12.51")]


def test_concurrent_placements_never_overfill_an_agency(env, tmp_path):
    import_agencies(env.sessions, write(tmp_path, "AG1,North,15,2,30\nAG2,East,12,1,30\n"), NOW)
    accounts = [f"CC{i:02d}" for i in range(12)]
    commands = [placement_cmd(a, opened(env, a)) for a in accounts]
    start = threading.Barrier(len(commands))
    results, errors = {}, []

    def place(cmd: PlacementCommand) -> None:
        start.wait()
        try:
            results[cmd.step.account_id] = env.acts.place_with_agency(cmd)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=place, args=(c,)) for c in commands]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    placed = [r.placement.agency_id for r in results.values() if r.placement is not None]
    assert sorted(placed) == ["AG1", "AG1", "AG2"]
    assert env.count(AgencyPlacement) == 3 and env.count(CollectorTask, kind="agency") == len(accounts) - 3
    assert {a.agency_id: a.open_placements for a in list_agencies(env.sessions)} == {"AG1": 2, "AG2": 1}
