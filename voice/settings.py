"""Settings of the voice service: one object per process, read from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class VoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    sip_host: str = Field("127.0.0.1", validation_alias=_alias("VOICE_SIP_HOST"))
    sip_port: int = Field(5060, validation_alias=_alias("VOICE_SIP_PORT"))
    # The address written into SDP and Contact (the SBC must reach it); the bind address
    # by default.
    public_host: str | None = Field(None, validation_alias=_alias("VOICE_PUBLIC_HOST"))
    gateway_url: str = Field("http://127.0.0.1:8000", validation_alias=_alias("VOICE_GATEWAY_URL"))
    signing_secret: SecretStr = Field(validation_alias=_alias("HOTLINE_SIGNING_SECRET"))
    pseudonym_secret: SecretStr = Field(validation_alias=_alias("HOTLINE_PSEUDONYM_SECRET"))
    transfer_target: str = Field("sip:agents@127.0.0.1", validation_alias=_alias("VOICE_TRANSFER_TARGET"))
    recognizer: str = Field("whisper", validation_alias=_alias("VOICE_ASR"))
    synthesizer: str = Field("espeak", validation_alias=_alias("VOICE_TTS"))
    whisper_dir: str | None = Field(None, validation_alias=_alias("VOICE_WHISPER_DIR"))
    # 5: 社保卡丢了 rather than 社保卡飘的 over G.711, for ~1.5x the time of greedy decoding.
    asr_beam: int = Field(5, ge=1, le=10, validation_alias=_alias("VOICE_ASR_BEAM"))
    # Slow mode (elder-friendly): espeak-ng words per minute; the normal rate is 180.
    slow_rate: int = Field(130, ge=80, le=180, validation_alias=_alias("VOICE_SLOW_RATE"))
    silence_s: float = Field(8.0, validation_alias=_alias("VOICE_SILENCE_S"))
    reprompts: int = Field(2, validation_alias=_alias("VOICE_REPROMPTS"))
    on_silence: Literal["goodbye", "transfer"] = Field("goodbye", validation_alias=_alias("VOICE_ON_SILENCE"))
    turn_timeout_s: float = Field(8.0, validation_alias=_alias("VOICE_TURN_TIMEOUT_S"))
    max_calls: int = Field(8, validation_alias=_alias("VOICE_MAX_CALLS"))
    # /voice/stream (voice/stream.py): off unless a token is set.
    stream_port: int = Field(8030, validation_alias=_alias("VOICE_STREAM_PORT"))
    stream_token: SecretStr | None = Field(None, validation_alias=_alias("VOICE_STREAM_TOKEN"))
    log_level: str = Field("INFO", validation_alias=_alias("LOG_LEVEL"))

    @property
    def advertised_host(self) -> str:
        return self.public_host or self.sip_host
