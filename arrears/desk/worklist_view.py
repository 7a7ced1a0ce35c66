"""The worklist on a terminal: task, account and amount always whole, the rest as room allows."""

from collections.abc import Sequence

from rich.console import Console

from arrears.cli.tables import Cell, Column, print_table
from arrears.desk.assign import QUEUE_COLLECTOR, QUEUE_SUPERVISOR
from arrears.desk.worklist import WorklistEntry

# What a collector needs first (to dial and to quote the amount) is never dropped; what
# helps to choose among tasks goes next; what the supervisor reviews later goes first.
COLUMNS = (
    Column("task", whole=True, justify="right"),
    Column("kind", priority=1),
    Column("account", whole=True),
    Column("customer", priority=4),
    Column("stage", priority=3),
    Column("DPD", priority=1, justify="right"),
    Column("overdue", whole=True, justify="right"),
    Column("broken promises", "PTP", priority=4, justify="right"),
    Column("customer time", "local", priority=2),
    Column("SLA due (UTC)", "SLA", priority=5),
    Column("queue", priority=3),
    # The contact gate's answer for working the task now, with its rule and the next allowed moment.
    Column("allowed now?", "now?", priority=2),
)
_QUEUE_SHORT = {QUEUE_SUPERVISOR: "sup", QUEUE_COLLECTOR: "coll"}


def worklist_cells(entry: WorklistEntry) -> list[Cell]:
    local = entry.customer_local_time + ("" if entry.callable_now else " (closed)")
    return [
        str(entry.task_id),
        entry.kind,
        entry.account_id,
        entry.customer_name,
        entry.stage,
        str(entry.dpd),
        f"{entry.overdue_amount} {entry.currency}",
        str(entry.broken_promises),
        local,
        f"{entry.sla_due_at:%m-%d %H:%M}" if entry.sla_due_at else "-",
        (entry.queue, _QUEUE_SHORT.get(entry.queue, entry.queue)),
        _allowed(entry),
    ]


def _allowed(entry: WorklistEntry) -> Cell:
    if entry.allowed_now:
        return "yes"
    when = f", from {entry.next_allowed_at:%m-%d %H:%M} UTC" if entry.next_allowed_at else ""
    return (f"no: {entry.rule}{when}", "no")


def print_worklist(
    console: Console,
    entries: Sequence[WorklistEntry],
    *,
    title: str | None = None,
    wide: bool = False,
    shown_by: str = "--wide or --json",
) -> None:
    print_table(console, COLUMNS, [worklist_cells(e) for e in entries], title=title, wide=wide, shown_by=shown_by)
