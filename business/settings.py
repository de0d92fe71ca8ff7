"""Settings of the business system process, read from the environment."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from business import workdays
from business.catalog import TICKET_DUE_WORKING_DAYS
from hotline import paths


def _default_database_url() -> SecretStr:
    return SecretStr(f"sqlite:///{paths.STATE / 'business.db'}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # sqlite:///path or postgresql+psycopg://user:pass@host/db (a password may be inside).
    database_url: SecretStr = Field(default_factory=_default_database_url,
                                    validation_alias=AliasChoices("BUSINESS_DATABASE_URL"))
    api_token: SecretStr = Field(min_length=16, validation_alias=AliasChoices("BUSINESS_API_TOKEN"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("BUSINESS_HOST"))
    port: int = Field(8100, validation_alias=AliasChoices("BUSINESS_PORT"))
    # Comma-separated YYYY-MM-DD public holidays: no slots, not counted in 答复时限.
    holidays_text: str = Field("", validation_alias=AliasChoices("BUSINESS_HOLIDAYS"))
    # JSON object, e.g. {"complaint": 10}; types left out keep catalog.TICKET_DUE_WORKING_DAYS.
    ticket_due_days: dict[str, int] = Field(default_factory=dict,
                                            validation_alias=AliasChoices("BUSINESS_TICKET_DUE_DAYS"))
    # Seed the synthetic demo data into an empty database (turn off for a real province).
    seed_demo: bool = Field(True, validation_alias=AliasChoices("BUSINESS_SEED_DEMO"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))

    @property
    def holidays(self) -> frozenset[dt.date]:
        return workdays.parse_dates(self.holidays_text)

    def due_working_days(self, kind: str) -> int:
        return {**TICKET_DUE_WORKING_DAYS, **self.ticket_due_days}[kind]


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
