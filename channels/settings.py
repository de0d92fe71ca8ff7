"""Gateway settings: one object per process, read from the environment.

Secrets have no defaults: ``hotline run`` generates development secrets into a local,
git-ignored file on first start; production sets them explicitly.
"""

from __future__ import annotations

import socket
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

RetrievalMode = Literal["fused", "bm25", "off"]


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", validation_alias=_alias("GATEWAY_HOST"))
    port: int = Field(8000, validation_alias=_alias("GATEWAY_PORT"))
    redis_url: SecretStr = Field(validation_alias=_alias("REDIS_URL"))
    rasa_url: str = Field("http://127.0.0.1:5005", validation_alias=_alias("RASA_URL"))
    actions_url: str = Field("http://127.0.0.1:5055", validation_alias=_alias("ACTIONS_URL"))
    signing_secret: SecretStr = Field(validation_alias=_alias("HOTLINE_SIGNING_SECRET"))
    pseudonym_secret: SecretStr = Field(validation_alias=_alias("HOTLINE_PSEUDONYM_SECRET"))
    default_region: str = Field("national", validation_alias=_alias("HOTLINE_DEFAULT_REGION"))

    # Rasa answers in tens of milliseconds; past this the citizen gets a polite holding
    # answer and the message is retried in the background.
    rasa_timeout_s: float = Field(4.0, validation_alias=_alias("RASA_TIMEOUT_S"))
    reply_wait_s: float = Field(4.5, validation_alias=_alias("WEBCHAT_REPLY_WAIT_S"))

    consumer_name: str | None = Field(None, validation_alias=_alias("GATEWAY_CONSUMER"))
    retry_idle_s: float = Field(5.0, validation_alias=_alias("INBOUND_RETRY_IDLE_S"))
    max_deliveries: int = Field(30, validation_alias=_alias("INBOUND_MAX_DELIVERIES"))
    log_level: str = Field("INFO", validation_alias=_alias("LOG_LEVEL"))
    # fused: dense encoder + BM25 fused with Rasa; bm25: without the encoder; off: Rasa alone.
    retrieval: RetrievalMode = Field("fused", validation_alias=_alias("HOTLINE_RETRIEVAL"))

    @property
    def consumer(self) -> str:
        # Stable across restarts so that a restarted gateway finds its own unfinished work.
        return self.consumer_name or f"{socket.gethostname()}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
