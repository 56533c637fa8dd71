"""All configuration, read once from environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_NAME = "retail_performer"


class Settings(BaseSettings):
    """Service settings; every field maps to an environment variable."""

    model_config = SettingsConfigDict(env_prefix="RPAI_", extra="ignore")

    mongodb_url: str | None = Field(default=None, validation_alias="MONGODB_URL")
    data_dir: Path = Path("./data")
    db_timeout_seconds: float = Field(default=5.0, gt=0)
    key_expiry_warning_days: int = 14
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()
