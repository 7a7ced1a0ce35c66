"""The `status` query: the episode as a collector, an operator or an auditor sees it (no personal data)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.collection import RiskSegmentView, StatusView
    from arrears.domain import transitions as T
    from arrears.domain.delinquency import bucket_for_dpd, local_date, stage_for_dpd
    from arrears.domain.register import malicious_overdraft_register
    from arrears.domain.strategy import Action

from workflows.collection.context import Context


def status_view(ctx: Context) -> StatusView:
    ep, inp = ctx.ep, ctx.inp
    dpd = ctx.dpd()
    running = ep.outcome is None
    plan = ctx.agenda() if running else None
    upcoming = []
    if plan is not None:
        if plan.head is not None and not plan.paused_by:
            upcoming.append((plan.head.due_at, plan.head.action, plan.head.step_id))
        if plan.charge_off_at is not None and plan.charge_off_blocked_by is None:
            upcoming.append((plan.charge_off_at, Action.CHARGE_OFF, ctx.terms.rules.charge_off.id))
    nxt = min(upcoming, key=lambda u: u[0], default=None)
    today = local_date(ctx.now(), inp.timezone)
    register = malicious_overdraft_register(
        (local_date(e.occurred_at, inp.timezone) for e in ep.effective_collections),
        due_date=inp.due_date,
        unpaid=ep.overdue_amount > 0,
        today=today,
    )
    ledger = T.ledger_of(ep, ctx.terms, today) if T.priced(ep, ctx.terms) else None
    return StatusView(
        account_id=inp.account_id,
        episode_id=ep.episode_id,
        as_of=ctx.now(),
        due_date=ctx.anchor(),
        timezone=inp.timezone,
        dpd=dpd,
        stage=ep.outcome.value if ep.outcome else stage_for_dpd(dpd).value,
        bucket=bucket_for_dpd(dpd),
        risk_segment=ep.segment,
        currency=inp.currency,
        overdue_amount=ep.overdue_amount,
        total_balance=ep.total_balance,
        paid_total=ep.paid_total,
        next_action=nxt[1] if nxt else None,
        next_step_id=nxt[2] if nxt else None,
        next_action_at=nxt[0] if nxt else None,
        paused_by="; ".join(plan.paused_by) or None if plan is not None else None,
        active_promise=ep.promise if running else None,
        open_offer=ep.offer if running else None,
        active_plan=ep.plan if running else None,
        placement=ep.placement if running else None,
        holds=list(ep.holds.values()),
        effective_collections=register.count,
        malicious_overdraft_earliest=register.earliest,
        broken_promises=ep.broken_promises,
        contacts_by_channel=dict(ep.contacts_by_channel),
        steps_done=ep.steps_done,
        steps_skipped=ep.steps_skipped,
        outcome=ep.outcome,
        outcome_reason=ep.outcome_reason,
        strategy_name=inp.strategy.name,
        strategy_hash=inp.strategy_hash,
        clock=ep.clock,
        principal=ledger.balances.principal if ledger else None,
        interest=ledger.balances.interest if ledger else None,
        fees=ledger.balances.fees if ledger else None,
        accrued_interest=ledger.accrued_interest if ledger else None,
        card_restrictions=list(ep.restrictions_on),
        blacklisted_on=ep.blacklisted_on,
        bureau_notice_on=ep.bureau_notice_on,
        bureau_notice_result=ep.bureau_notice_result,
        legal=ep.legal,
        reages=list(ep.reages),
        attention=ep.attention,
        attention_detail=ep.attention_detail,
        risk=RiskSegmentView(
            segment=ep.segment,
            source=ep.risk.source,  # type: ignore[arg-type]  # the domain keeps it a str; the view's Literal checks it
            model_version=ep.risk.model_version,
            reasons=ep.risk.reasons,
            override_by=ep.risk.override_by,
            changed_at=ep.risk.changed_at,
            changed_at_dpd=ep.risk.changed_at_dpd,
        ),
    )
