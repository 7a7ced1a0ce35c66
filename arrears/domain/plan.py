"""Instalment plans: validation of the terms, and watching each instalment.

A plan replaces escalation with a schedule. Each instalment is judged at the
end of its due date plus the grace period: the payments since the plan began
must cover every instalment due so far, or the plan is broken.
"""

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import BaseModel

from arrears.domain.bounds import Money, SaneDate
from arrears.domain.ladder import local_moment
from arrears.domain.months import add_months
from arrears.domain.strategy import PlanPolicy, Role


class Instalment(BaseModel):
    due_date: SaneDate
    amount: Money  # its sign and the currency's decimals are the plan rules' to judge


class InstalmentPlan(BaseModel):
    plan_id: str
    instalments: list[Instalment]  # the down payment, if any, first (due the day the plan is agreed)
    fee_waiver: Decimal = Decimal(0)
    rate_discount_percent: Decimal = Decimal(0)
    approved_by: str
    approver_role: Role
    paid_before: Decimal  # payments already made when the plan was agreed
    made_at: datetime
    judged: int = 0  # how many instalments have been judged met
    status: str = "active"  # active | completed | broken | cancelled
    status_reason: str = ""

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.instalments), Decimal(0))


def instalment_deadline(due_date: date, grace_days: int, timezone: str) -> datetime:
    return local_moment(due_date, grace_days + 1, time(0, 0), timezone)


def plan_refusal(
    *,
    plan_id: str,
    instalments: list[Instalment],
    fee_waiver: Decimal,
    rate_discount_percent: Decimal,
    approved_by: str,
    approver_role: Role,
    today: date,
    overdue: Decimal,
    existing: InstalmentPlan | None,
    active: InstalmentPlan | None,
    ended: str | None,
    policy: PlanPolicy,
) -> str | None:
    """Why these terms cannot be agreed, or None. A same-terms repeat is not refused."""
    if existing is not None:
        same = (
            existing.instalments,
            existing.fee_waiver,
            existing.rate_discount_percent,
            existing.approved_by,
            existing.approver_role,
        ) == (instalments, fee_waiver, rate_discount_percent, approved_by, approver_role)
        return None if same else f"plan_id {plan_id} was already used with different terms"
    if ended:
        return f"the episode has ended ({ended}); no plan can be agreed"
    if active is not None:
        return f"plan {active.plan_id} is still running; a supervisor must cancel it first"
    if not instalments:
        return "a plan needs at least one instalment"
    if any(i.amount <= 0 for i in instalments):
        return "every instalment amount must be positive"
    dates = [i.due_date for i in instalments]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        return "instalment due dates must be distinct and in order"
    if dates[0] < today:
        return f"the first instalment ({dates[0]}) is in the past (today is {today} in the account's time zone)"
    if (dates[0] - today).days > policy.first_instalment_within_days:
        return f"the first instalment must fall within {policy.first_instalment_within_days} days, not on {dates[0]}"
    if dates[-1] > add_months(today, policy.max_term_months):
        return f"the last instalment ({dates[-1]}) is beyond the {policy.max_term_months}-month maximum term"
    if fee_waiver < 0 or rate_discount_percent < 0:
        return "a waiver or discount cannot be negative"
    covered = sum((i.amount for i in instalments), Decimal(0)) + fee_waiver
    if covered < overdue:
        return f"instalments plus waiver ({covered}) do not cover the overdue amount {overdue}"
    if not approved_by.strip():
        return "approved_by is required"
    waiver_limit = policy.max_fee_waiver_percent.get(approver_role, Decimal(0)) * overdue / 100
    if fee_waiver > waiver_limit:
        return f"a fee waiver of {fee_waiver} is above the {approver_role.value} limit of {waiver_limit:.2f}"
    rate_limit = policy.max_rate_discount_percent.get(approver_role, Decimal(0))
    if rate_discount_percent > rate_limit:
        return f"a {rate_discount_percent}% rate discount is above the {approver_role.value} limit of {rate_limit}%"
    return None


def due_so_far(plan: InstalmentPlan, count: int) -> Decimal:
    return sum((i.amount for i in plan.instalments[:count]), Decimal(0))


def paid_into(plan: InstalmentPlan, paid_total: Decimal) -> Decimal:
    return paid_total - plan.paid_before


def is_completed(plan: InstalmentPlan, paid_total: Decimal) -> bool:
    return paid_into(plan, paid_total) >= plan.total
