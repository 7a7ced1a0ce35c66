from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect

from arrears.db.migrate import alembic_config, downgrade, upgrade
from arrears.db.models import Base

TABLES = {
    "accounts",
    "episodes",
    "contact_attempts",
    "outbox",
    "collector_tasks",
    "account_actions",
    "payments",
    "stage_events",
    "promises",
    "settlements",
    "plans",
    "contact_outcomes",
    "collectors",
    "task_assignments",
    "agencies",
    "agency_placements",
    "agency_commissions",
    "contact_decisions",
    "holds",
    "consents",
    "effective_collections",
    "strategy_changes",
    "archived_histories",
    "ledger_postings",
    "reages",
    "card_restrictions",
    "blacklist_entries",
    "bureau_notices",
    "bureau_reports",
    "legal_cases",
    "legal_case_events",
    "recoveries",
    "recovery_outcomes",
    "api_tokens",
    "api_requests",
    "evidence_files",
    "quality_reviews",
    "complaints",
    "experiment_assignments",
    "experiment_decisions",
    "account_behaviour",
    "risk_models",
    "risk_segment_changes",
    "watchlist_entries",
    "rescore_events",
    "compliance_policies",
    "collector_contacts",
}
DESK = {"collectors", "task_assignments"}
# The tables each revision adds (a revision that only alters columns adds none).
ADDED = {
    "0001": {"accounts", "episodes", "contact_attempts", "outbox", "collector_tasks", "account_actions", "payments", "stage_events"},
    "0002": {"promises"},
    "0003": {"settlements"},
    "0004": {"plans"},
    "0005": {"contact_outcomes"},
    "0006": {"collectors", "task_assignments"},
    "0007": {"agencies", "agency_placements", "agency_commissions"},
    "0008": {"contact_decisions", "holds", "consents", "effective_collections"},
    "0009": {"strategy_changes"},
    "0010": set(),
    "0011": {"archived_histories"},
    "0012": {"ledger_postings", "reages"},
    "0013": {"card_restrictions", "blacklist_entries", "bureau_notices", "bureau_reports", "legal_cases", "legal_case_events"},
    "0014": {"recoveries", "recovery_outcomes"},
    "0017": {"api_tokens", "api_requests", "evidence_files"},
    "0019": {"quality_reviews", "complaints", "experiment_assignments", "experiment_decisions"},
    "0020": {"account_behaviour", "risk_models", "risk_segment_changes", "watchlist_entries", "rescore_events"},
    "0021": {"compliance_policies", "collector_contacts"},
}
AGENCIES = {"agencies", "agency_placements", "agency_commissions"}
COMPLIANCE = {"contact_decisions", "holds", "consents", "effective_collections"}
KEYED = ("contact_attempts", "outbox", "collector_tasks", "account_actions", "stage_events", "agency_placements",
         "contact_decisions", "effective_collections", "bureau_notices", "legal_cases", "legal_case_events",
         "recoveries", "recovery_outcomes", "risk_segment_changes", "collector_contacts")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def diff(url: str, metadata: MetaData) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(any_db_url):
    assert tables(any_db_url) == set()
    upgrade(any_db_url)
    assert tables(any_db_url) == TABLES | {"alembic_version"}
    # Walk down one revision at a time: each downgrade removes exactly the tables its upgrade added.
    present = set(TABLES)
    # (each to the revision before it in the chain: numbers may skip while branches are merged)
    chain = ["base", *sorted(ADDED)]
    for revision in sorted(ADDED, reverse=True):
        previous = _scripts().get_revision(revision).down_revision  # revisions are not always consecutive
        downgrade(any_db_url, previous or "base")
        present -= ADDED[revision]
        assert tables(any_db_url) == present | {"alembic_version"}, f"after downgrading {revision}"
    assert present == set()
    upgrade(any_db_url)
    assert tables(any_db_url) == TABLES | {"alembic_version"}


def test_idempotency_keys_are_unique(any_db_url):
    upgrade(any_db_url)
    engine = create_engine(any_db_url)
    try:
        inspector = inspect(engine)
        for table in KEYED:
            uniques = [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)]
            assert ("idempotency_key",) in uniques, table
            column = next(c for c in inspector.get_columns(table) if c["name"] == "idempotency_key")
            assert column["nullable"] is False
        promises = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("promises")}
        assert promises.get("uq_promises_account_promise") == ("account_id", "promise_id")
        offers = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("settlements")}
        assert offers.get("uq_settlements_account_offer") == ("account_id", "offer_id")
        commissions = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("agency_commissions")}
        assert commissions.get("uq_agency_commissions_account_payment") == ("account_id", "payment_id")
        payments = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("payments")}
        assert payments.get("uq_payments_account_payment") == ("account_id", "payment_id")
        postings = [tuple(u["column_names"]) for u in inspector.get_unique_constraints("ledger_postings")]
        assert ("posting_key",) in postings
        reages = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("reages")}
        assert reages.get("uq_reages_account_reage") == ("account_id", "reage_id")
        reports = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("bureau_reports")}
        assert reports.get("uq_bureau_reports_account_period") == ("account_id", "period")
        listed = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("blacklist_entries")}
        assert listed.get("uq_blacklist_entries_episode_reason") == ("episode_id", "reason")
        recoveries = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("recoveries")}
        assert recoveries.get("uq_recoveries_account_payment") == ("account_id", "payment_id")
        behaviour = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("account_behaviour")}
        assert behaviour.get("uq_account_behaviour_account_month") == ("account_id", "statement_month")
        watched = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("watchlist_entries")}
        assert watched.get("uq_watchlist_entries_day_account") == ("as_of", "account_id")
        assert ("model_hash",) in [tuple(u["column_names"]) for u in inspector.get_unique_constraints("risk_models")]
        assert ("event_key",) in [tuple(u["column_names"]) for u in inspector.get_unique_constraints("rescore_events")]
        restriction_keys = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("card_restrictions")}
        assert {("apply_key",), ("lift_key",)} <= restriction_keys
        fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("contact_attempts")}
        assert fks == {"episodes"}
    finally:
        engine.dispose()


def test_models_match_the_migration(any_db_url):
    upgrade(any_db_url)
    assert diff(any_db_url, Base.metadata) == []


def test_comparison_would_notice_a_drift(any_db_url):
    # Guard for the test above: the comparison is live, not vacuous.
    upgrade(any_db_url)
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("extra_table", drifted, Column("id", Integer, primary_key=True))
    drifted.tables["accounts"].append_column(Column("extra_column", Integer, nullable=True))
    kinds = {d[0] for d in diff(any_db_url, drifted) if isinstance(d, tuple)}
    assert {"add_table", "add_column"} <= kinds
