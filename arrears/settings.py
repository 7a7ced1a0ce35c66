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


def load_settings(**overrides: object) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
