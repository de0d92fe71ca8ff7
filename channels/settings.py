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
SmsProvider = Literal["aliyun", "tencent", "generic"]


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
    vault_key: SecretStr = Field(validation_alias=_alias("HOTLINE_VAULT_KEY"))
    default_region: str = Field("national", validation_alias=_alias("HOTLINE_DEFAULT_REGION"))
    # The province's business system (the reference one by default); identity matching
    # calls it from the gateway, everything else goes through the action server.
    business_url: str = Field("http://127.0.0.1:8100", validation_alias=_alias("BUSINESS_URL"))
    business_api_token: SecretStr = Field(validation_alias=_alias("BUSINESS_API_TOKEN"))

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

    # Web chat abuse limits (docs/webchat-api.md, "Limits").
    webchat_rate_session: int = Field(20, validation_alias=_alias("WEBCHAT_RATE_SESSION"))
    webchat_rate_ip: int = Field(120, validation_alias=_alias("WEBCHAT_RATE_IP"))
    # Comma-separated origins allowed to embed the widget; empty means the gateway's own.
    webchat_allowed_origins: str = Field("", validation_alias=_alias("WEBCHAT_ALLOWED_ORIGINS"))
    # Portal login (JWT): a shared HS256 key or a PEM public key for RS256/ES256.
    webchat_jwt_key: SecretStr | None = Field(None, validation_alias=_alias("WEBCHAT_JWT_KEY"))
    webchat_jwt_public_key: str | None = Field(None, validation_alias=_alias("WEBCHAT_JWT_PUBLIC_KEY"))
    webchat_jwt_issuer: str | None = Field(None, validation_alias=_alias("WEBCHAT_JWT_ISSUER"))

    # WeChat official account (docs/wechat.md). No token: /wechat answers 503.
    wechat_token: SecretStr | None = Field(None, validation_alias=_alias("WECHAT_TOKEN"))
    # Set: compatible and safe mode (AES); unset: plaintext mode only.
    wechat_encoding_aes_key: SecretStr | None = Field(
        None, validation_alias=_alias("WECHAT_ENCODING_AES_KEY"))
    wechat_app_id: str = Field("", validation_alias=_alias("WECHAT_APP_ID"))
    wechat_app_secret: SecretStr | None = Field(None, validation_alias=_alias("WECHAT_APP_SECRET"))
    wechat_api_base: str = Field("https://api.weixin.qq.com", validation_alias=_alias("WECHAT_API_BASE"))
    # How long a callback waits for the bot before answering `success` (the 5-second rule;
    # the margin is explained in channels/wechat/service.py).
    wechat_reply_budget_s: float = Field(4.0, validation_alias=_alias("WECHAT_REPLY_BUDGET_S"))
    # Voice messages without WeChat's transcript go through Whisper in this process (loaded
    # on the first one); without the model built they get a request to type instead.
    wechat_voice_asr: bool = Field(True, validation_alias=_alias("WECHAT_VOICE_ASR"))

    # SMS on the 12333 short code (docs/sms.md). Webhooks need SMS_WEBHOOK_TOKEN as ?token=.
    sms_provider: SmsProvider = Field("generic", validation_alias=_alias("SMS_PROVIDER"))
    sms_api_base: str | None = Field(None, validation_alias=_alias("SMS_API_BASE"))
    sms_webhook_token: SecretStr | None = Field(None, validation_alias=_alias("SMS_WEBHOOK_TOKEN"))
    sms_access_key_id: str | None = Field(None, validation_alias=_alias("SMS_ACCESS_KEY_ID"))
    sms_access_key_secret: SecretStr | None = Field(None, validation_alias=_alias("SMS_ACCESS_KEY_SECRET"))
    sms_secret_id: str | None = Field(None, validation_alias=_alias("SMS_SECRET_ID"))
    sms_secret_key: SecretStr | None = Field(None, validation_alias=_alias("SMS_SECRET_KEY"))
    sms_sdk_app_id: str | None = Field(None, validation_alias=_alias("SMS_SDK_APP_ID"))
    sms_sign_name: str = Field("12333", validation_alias=_alias("SMS_SIGN_NAME"))
    sms_template_code: str | None = Field(None, validation_alias=_alias("SMS_TEMPLATE_CODE"))
    sms_max_parts: int = Field(3, ge=1, le=10, validation_alias=_alias("SMS_MAX_PARTS"))
    # Comma-separated addresses or networks the providers push from; empty allows any.
    sms_allowed_ips: str = Field("", validation_alias=_alias("SMS_ALLOWED_IPS"))
    sms_rate_per_minute: int = Field(5, validation_alias=_alias("SMS_RATE_PER_MINUTE"))
    sms_daily_cap: int = Field(40, validation_alias=_alias("SMS_DAILY_CAP"))
    sms_quiet_hours: str = Field("22:00-08:00", validation_alias=_alias("SMS_QUIET_HOURS"))

    # Analytics events (docs/analytics.md). Unset URL: SQLite in the state folder.
    analytics_enabled: bool = Field(True, validation_alias=_alias("ANALYTICS_ENABLED"))
    # A secret: a PostgreSQL URL carries its password.
    analytics_database_url: SecretStr | None = Field(None, validation_alias=_alias("ANALYTICS_DATABASE_URL"))
    analytics_retention_days: int = Field(365, ge=1, validation_alias=_alias("ANALYTICS_RETENTION_DAYS"))

    # Agent workspace (docs/handoff.md). Accounts: STAFF_ACCOUNTS_FILE (``hotline staff add``)
    # plus, when their passwords are set, the demo accounts ``agent`` and ``supervisor``.
    staff_accounts_file: str | None = Field(None, validation_alias=_alias("STAFF_ACCOUNTS_FILE"))
    staff_agent_password: SecretStr | None = Field(None, validation_alias=_alias("STAFF_AGENT_PASSWORD"))
    staff_supervisor_password: SecretStr | None = Field(
        None, validation_alias=_alias("STAFF_SUPERVISOR_PASSWORD"))
    staff_secure_cookies: bool = Field(False, validation_alias=_alias("STAFF_SECURE_COOKIES"))
    # A citizen silent this long with an agent, or this long in the queue, is taken as gone.
    handoff_citizen_gone_s: float = Field(900, validation_alias=_alias("HANDOFF_CITIZEN_GONE_S"))
    handoff_queue_abandon_s: float = Field(1800, validation_alias=_alias("HANDOFF_QUEUE_ABANDON_S"))
    handoff_sweep_s: float = Field(15, validation_alias=_alias("HANDOFF_SWEEP_S"))

    @property
    def allowed_origins(self) -> frozenset[str]:
        listed = {o.strip().rstrip("/") for o in self.webchat_allowed_origins.split(",") if o.strip()}
        return frozenset(listed or {f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"})

    @property
    def consumer(self) -> str:
        # Stable across restarts so that a restarted gateway finds its own unfinished work.
        return self.consumer_name or f"{socket.gethostname()}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
