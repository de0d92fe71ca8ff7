"""The identity context that travels with every turn (ARCHITECTURE.md, "Data that flows").

The gateway is the only place that knows a citizen's native ids; Rasa and the actions
see this context: a pseudonym, an assurance level and masked display values, sealed with
the shared signing secret so an action can tell it came from the gateway.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hotline import signing

LEVELS = ("anonymous", "phone", "verified")
FIELDS = ("level", "person", "display_name", "id_number", "region", "channels", "expires_at",
          "record_ref")


@dataclass(frozen=True)
class IdentityContext:
    level: str = "anonymous"
    person: str | None = None
    display_name: str | None = None
    id_number: str | None = None
    region: str = "national"
    channels: tuple[str, ...] = field(default_factory=tuple)
    expires_at: int | None = None
    # The business system's opaque reference to the person's record (never the 身份证号),
    # for actions that look up "my applications" and personal records.
    record_ref: str | None = None

    def to_metadata(self, secret: bytes) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return {"identity": data, "identity_sig": signing.seal(secret, data)}


def anonymous(channel: str, region: str) -> IdentityContext:
    return IdentityContext(region=region, channels=(channel,))


def from_metadata(metadata: Any, secret: bytes) -> IdentityContext | None:
    """The context carried in a message's metadata, if its seal is intact."""
    if not isinstance(metadata, dict):
        return None
    data = metadata.get("identity")
    seal = str(metadata.get("identity_sig") or "")
    if not isinstance(data, dict) or not signing.unseal(secret, data, seal):
        return None
    values: dict[str, Any] = {k: data.get(k) for k in FIELDS if k in data}
    values["channels"] = tuple(values.get("channels") or ())
    if values.get("level") not in LEVELS:
        return None
    return IdentityContext(**values)
