"""Settings from environment variables (and CLI flags, which override them)."""

import re
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears import PROJECT_ROOT

DEFAULT_STATE_DIR = PROJECT_ROOT / ".arrears"


class Settings(BaseSettings):
    # An error must not quote the input: it holds the API key, the database URL and the codec keys.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    temporal_address: str = Field(default="localhost:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    # A Temporal Cloud API key turns TLS on; client certificates are the
    # alternative for self-hosted clusters with mTLS.
    temporal_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_API_KEY"))
    temporal_tls: bool = Field(default=False, validation_alias=AliasChoices("TEMPORAL_TLS"))
    temporal_tls_cert: Path | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_TLS_CERT"))
    temporal_tls_key: Path | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_TLS_KEY"))
    task_queue: str = Field(default="arrears", validation_alias=AliasChoices("ARREARS_TASK_QUEUE"))
    # May hold a password: never printed as it is (database_url_masked), and left out of repr.
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_STATE_DIR / 'arrears.db'}",
        validation_alias=AliasChoices("ARREARS_DATABASE_URL"),
        repr=False,
    )
    strategy: Path = Field(
        default=PROJECT_ROOT / "strategies" / "default.toml", validation_alias=AliasChoices("ARREARS_STRATEGY")
    )
    templates_dir: Path = Field(default=PROJECT_ROOT / "templates", validation_alias=AliasChoices("ARREARS_TEMPLATES"))
    # Scorecards, review rubric, complaint deadline and attribution rule (arrears report, desk review).
    scorecard: Path = Field(
        default=PROJECT_ROOT / "scorecards" / "default.toml", validation_alias=AliasChoices("ARREARS_SCORECARD")
    )
    # Embedded dev server (`arrears server`): its persistence file and ports.
    server_db_file: Path = Field(
        default=DEFAULT_STATE_DIR / "temporal.db", validation_alias=AliasChoices("ARREARS_SERVER_DB")
    )
    server_ui_port: int = Field(default=8233, validation_alias=AliasChoices("ARREARS_SERVER_UI_PORT"))
    # How often the desk sweep escalates SLA breaches and places waiting tasks.
    sweep_minutes: float = Field(default=5, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_SWEEP_MINUTES"))
    # Closed episodes' histories are copied into the system of record this often,
    # well inside any namespace retention (Temporal Cloud keeps at most 90 days).
    archive_minutes: float = Field(
        default=60, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_ARCHIVE_MINUTES")
    )
    # How long archived histories are kept: three years covers Regulation F
    # (12 CFR 1006.100) and the two years of the Chinese card rules (art. 68).
    archive_retention_days: int = Field(
        default=3 * 365 + 1, ge=1, validation_alias=AliasChoices("ARREARS_ARCHIVE_RETENTION_DAYS")
    )
    # The monthly credit-bureau cycle (the BureauCycle workflow): where its files
    # go, the institution code in their header, and the day of the month the
    # previous month is reported (00:00 UTC; 2 or later, see reporting_moment).
    bureau_dir: Path = Field(default=DEFAULT_STATE_DIR / "bureau", validation_alias=AliasChoices("ARREARS_BUREAU_DIR"))
    bureau_institution: str = Field(
        default="ARREARS", pattern=r"^[A-Za-z0-9]+$", validation_alias=AliasChoices("ARREARS_BUREAU_INSTITUTION")
    )
    bureau_day: int = Field(default=2, ge=2, le=28, validation_alias=AliasChoices("ARREARS_BUREAU_DAY"))
    # Risk re-segmentation (the RiskRescore workflow): running episodes are rescored with the active
    # roll_forward_60d model on this day of each month at 00:00 UTC, or every this many hours when
    # set (0: the calendar), and the record is searched for events calling for one episode's
    # rescore (broken promises and plans, job loss) this often.
    rescore_day: int = Field(default=1, ge=1, le=28, validation_alias=AliasChoices("ARREARS_RESCORE_DAY"))
    rescore_every_hours: float = Field(
        default=0, ge=0, le=24 * 31, validation_alias=AliasChoices("ARREARS_RESCORE_EVERY_HOURS")
    )
    rescore_events_minutes: float = Field(
        default=15, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_RESCORE_EVENTS_MINUTES")
    )
    # The code version recorded in every workflow task's history event, so an
    # auditor can tell which release decided each automatic action. Empty: the
    # package version and a checksum of the loaded code.
    build_id: str = Field(default="", max_length=255, validation_alias=AliasChoices("ARREARS_BUILD_ID"))
    # Episodes a worker keeps in memory between their tasks (the SDK's cache; see docs on scaling).
    max_cached_workflows: int = Field(
        default=1000, ge=0, le=100_000, validation_alias=AliasChoices("ARREARS_MAX_CACHED_WORKFLOWS")
    )
    # Worker slots (docs/deploy.md): activities at once, which is also the size of the thread pool that
    # runs them and the local activities (the episode's writes); local activities at once; workflow tasks
    # at once (at least 2 while workflows are cached). 100 is the SDK's own default.
    worker_max_activities: int = Field(
        default=32, ge=1, le=1000, validation_alias=AliasChoices("ARREARS_WORKER_MAX_ACTIVITIES")
    )
    worker_max_local_activities: int = Field(
        default=100, ge=1, le=1000, validation_alias=AliasChoices("ARREARS_WORKER_MAX_LOCAL_ACTIVITIES")
    )
    worker_max_workflow_tasks: int = Field(
        default=100, ge=2, le=1000, validation_alias=AliasChoices("ARREARS_WORKER_MAX_WORKFLOW_TASKS")
    )
    # PostgreSQL connections each process keeps open, and how many more it may open at a peak
    # (SQLAlchemy's pool_size and max_overflow; SQLite ignores both).
    database_pool_size: int = Field(
        default=10, ge=1, le=1000, validation_alias=AliasChoices("ARREARS_DATABASE_POOL_SIZE")
    )
    database_max_overflow: int = Field(
        default=20, ge=0, le=1000, validation_alias=AliasChoices("ARREARS_DATABASE_MAX_OVERFLOW")
    )
    # shared: workflow modules imported once per worker (the default); isolated: once per workflow.
    workflow_sandbox: str = Field(
        default="shared", pattern="^(shared|isolated|off)$", validation_alias=AliasChoices("ARREARS_WORKFLOW_SANDBOX")
    )
    # The worker serves Prometheus metrics on this port (http://host:port/metrics); unset: none.
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias=AliasChoices("ARREARS_METRICS_PORT")
    )
    # How long the CLI waits for an episode to answer an update (a payment, a promise, ...) before
    # saying it may or may not have been recorded: with no worker polling it would wait for ever.
    update_wait_seconds: float = Field(
        default=30, gt=0, le=3600, validation_alias=AliasChoices("ARREARS_UPDATE_WAIT_SECONDS")
    )

    # ---- security (docs/security.md) ----
    # A private CA for the Temporal frontend's certificate (self-hosted clusters).
    temporal_tls_ca: Path | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_TLS_CA"))
    # The database password apart from the URL, so the URL can be shown and logged.
    database_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ARREARS_DATABASE_PASSWORD")
    )
    # Payload encryption keys, "id=key" entries (arrears.runtime.codec); the first encrypts, all decrypt.
    codec_keys: SecretStr | None = Field(default=None, validation_alias=AliasChoices("ARREARS_CODEC_KEYS"))
    codec_keys_file: Path | None = Field(default=None, validation_alias=AliasChoices("ARREARS_CODEC_KEYS_FILE"))
    # Bearer tokens the codec server accepts (comma-separated), and the Web UI origins it answers.
    codec_server_tokens: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ARREARS_CODEC_SERVER_TOKENS")
    )
    codec_cors_origins: str = Field(
        default="http://localhost:8233,http://127.0.0.1:8233",
        validation_alias=AliasChoices("ARREARS_CODEC_CORS_ORIGINS"),
    )
    # The evidence store: content-addressed files, a size cap, the types accepted (arrears.audit.evidence_store).
    evidence_dir: Path = Field(
        default=DEFAULT_STATE_DIR / "evidence", validation_alias=AliasChoices("ARREARS_EVIDENCE_DIR")
    )
    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=512 * 1024 * 1024,
        validation_alias=AliasChoices("ARREARS_EVIDENCE_MAX_BYTES"),
    )
    evidence_types: str = Field(
        default="application/pdf,image/jpeg,image/png,image/heic,image/webp,image/tiff",
        validation_alias=AliasChoices("ARREARS_EVIDENCE_TYPES"),
    )
    # Desk API tokens: days until a new token expires unless --expires says otherwise.
    token_days: int = Field(default=30, ge=1, le=366, validation_alias=AliasChoices("ARREARS_TOKEN_DAYS"))
    # The collector's console signs a session out after this many idle minutes.
    console_idle_minutes: float = Field(
        default=15, gt=0, le=24 * 60, validation_alias=AliasChoices("ARREARS_CONSOLE_IDLE_MINUTES")
    )
    # Desk API limits: request body bytes (evidence uploads: evidence_max_bytes), requests per minute per token,
    # and how long a call waits for the workflow before answering 503.
    api_max_body: int = Field(
        default=64 * 1024, ge=1024, le=16 * 1024 * 1024, validation_alias=AliasChoices("ARREARS_API_MAX_BODY")
    )
    api_rate_per_minute: int = Field(default=120, ge=1, le=100_000, validation_alias=AliasChoices("ARREARS_API_RATE"))
    api_temporal_timeout: float = Field(
        default=30, gt=0, le=600, validation_alias=AliasChoices("ARREARS_API_TEMPORAL_TIMEOUT")
    )

    @model_validator(mode="after")
    def _security(self) -> "Settings":
        if bool(self.temporal_tls_cert) != bool(self.temporal_tls_key):
            given, missing = (
                ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY")
                if self.temporal_tls_cert
                else ("TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CERT")
            )
            raise ValueError(f"{given} is set but {missing} is not: a client certificate needs its key (mTLS)")
        for name, path in (
            ("TEMPORAL_TLS_CERT", self.temporal_tls_cert),
            ("TEMPORAL_TLS_KEY", self.temporal_tls_key),
            ("TEMPORAL_TLS_CA", self.temporal_tls_ca),
            ("ARREARS_CODEC_KEYS_FILE", self.codec_keys_file),
        ):
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: {path} is not a readable file")
        if self.codec_keys is not None and self.codec_keys_file is not None:
            raise ValueError("set ARREARS_CODEC_KEYS or ARREARS_CODEC_KEYS_FILE, not both")
        if self.codec_keys is not None or self.codec_keys_file is not None:
            self.codec()  # a bad key list stops here, named, rather than at the first payload
        if self.database_password is not None:
            from sqlalchemy.engine import make_url

            url = make_url(self.database_url).set(password=self.database_password.get_secret_value())
            object.__setattr__(self, "database_url", url.render_as_string(hide_password=False))
        return self

    @property
    def database_url_masked(self) -> str:
        """The database URL fit to print: any password shown as ***."""
        return mask_url(self.database_url)

    def codec(self):
        """The configured encryption keys (arrears.runtime.codec.CodecKeys), or None: payloads travel unencrypted."""
        from arrears.runtime.codec import parse_keys

        if self.codec_keys is not None:
            return parse_keys(self.codec_keys.get_secret_value())
        if self.codec_keys_file is not None:
            return parse_keys(self.codec_keys_file.read_text(encoding="utf-8"))
        return None

    def codec_tokens(self) -> list[str]:
        if self.codec_server_tokens is None:
            return []
        return [t.strip() for t in self.codec_server_tokens.get_secret_value().split(",") if t.strip()]

    def evidence_type_list(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.evidence_types.split(",") if t.strip())


def mask_url(url: str) -> str:
    """``scheme://user:***@host/db``: a URL with its password hidden (also when it does not parse)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def load_settings(**overrides: Any) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
