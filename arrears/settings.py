"""Settings from environment variables (and CLI flags, which override them)."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears import PROJECT_ROOT

DEFAULT_STATE_DIR = PROJECT_ROOT / ".arrears"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    temporal_address: str = Field(default="localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    # A Temporal Cloud API key turns TLS on; client certificates are the
    # alternative for self-hosted clusters with mTLS.
    temporal_api_key: str | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_API_KEY"))
    temporal_tls: bool = Field(default=False, validation_alias=AliasChoices("TEMPORAL_TLS"))
    temporal_tls_cert: Path | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_TLS_CERT"))
    temporal_tls_key: Path | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_TLS_KEY"))
    task_queue: str = Field(default="arrears", validation_alias=AliasChoices("ARREARS_TASK_QUEUE"))
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_STATE_DIR / 'arrears.db'}",
        validation_alias=AliasChoices("ARREARS_DATABASE_URL"),
    )
    strategy: Path = Field(
        default=PROJECT_ROOT / "strategies" / "default.toml", validation_alias=AliasChoices("ARREARS_STRATEGY")
    )
    templates_dir: Path = Field(default=PROJECT_ROOT / "templates", validation_alias=AliasChoices("ARREARS_TEMPLATES"))
    # Embedded dev server (`arrears server`): its persistence file and ports.
    server_db_file: Path = Field(
        default=DEFAULT_STATE_DIR / "temporal.db", validation_alias=AliasChoices("ARREARS_SERVER_DB")
    )
    server_ui_port: int = Field(default=8233, validation_alias=AliasChoices("ARREARS_SERVER_UI_PORT"))
    # How often the desk sweep escalates SLA breaches and places waiting tasks.
    sweep_minutes: float = Field(default=5, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_SWEEP_MINUTES"))
    # Closed episodes' histories are copied into the system of record this often,
    # well inside any namespace retention (Temporal Cloud keeps at most 90 days).
    archive_minutes: float = Field(default=60, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_ARCHIVE_MINUTES"))
    # How long archived histories are kept: three years covers Regulation F
    # (12 CFR 1006.100) and the two years of the Chinese card rules (art. 68).
    archive_retention_days: int = Field(default=3 * 365 + 1, ge=1, validation_alias=AliasChoices("ARREARS_ARCHIVE_RETENTION_DAYS"))
    # The monthly credit-bureau cycle (the BureauCycle workflow): where its files
    # go, the institution code in their header, and the day of the month the
    # previous month is reported (00:00 UTC; 2 or later, see reporting_moment).
    bureau_dir: Path = Field(default=DEFAULT_STATE_DIR / "bureau", validation_alias=AliasChoices("ARREARS_BUREAU_DIR"))
    bureau_institution: str = Field(default="ARREARS", pattern=r"^[A-Za-z0-9]+$",
                                    validation_alias=AliasChoices("ARREARS_BUREAU_INSTITUTION"))
    bureau_day: int = Field(default=2, ge=2, le=28, validation_alias=AliasChoices("ARREARS_BUREAU_DAY"))
    # Risk re-segmentation (the RiskRescore workflow): running episodes are rescored with the active
    # roll_forward_60d model on this day of each month at 00:00 UTC, or every this many hours when
    # set (0: the calendar), and the record is searched for events calling for one episode's
    # rescore (broken promises and plans, job loss) this often.
    rescore_day: int = Field(default=1, ge=1, le=28, validation_alias=AliasChoices("ARREARS_RESCORE_DAY"))
    rescore_every_hours: float = Field(default=0, ge=0, le=24 * 31, validation_alias=AliasChoices("ARREARS_RESCORE_EVERY_HOURS"))
    rescore_events_minutes: float = Field(default=15, gt=0, le=24 * 60,
                                          validation_alias=AliasChoices("ARREARS_RESCORE_EVENTS_MINUTES"))
    # The code version recorded in every workflow task's history event, so an
    # auditor can tell which release decided each automatic action. Empty: the
    # package version and a checksum of the loaded code.
    build_id: str = Field(default="", max_length=255, validation_alias=AliasChoices("ARREARS_BUILD_ID"))


def load_settings(**overrides: object) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
