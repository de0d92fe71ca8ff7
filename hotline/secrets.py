"""Development secrets: generated once into ``.hotline/secrets.env`` (mode 600).

Production sets the same variables from its own secret store; values already in the
environment always win over the file.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

NAMES = ("HOTLINE_SIGNING_SECRET", "HOTLINE_PSEUDONYM_SECRET", "HOTLINE_VAULT_KEY", "BUSINESS_API_TOKEN",
         "SMS_WEBHOOK_TOKEN", "WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APP_ID",
         "WECHAT_APP_SECRET", "STAFF_AGENT_PASSWORD", "STAFF_SUPERVISOR_PASSWORD")
_ALNUM = string.ascii_letters + string.digits
# Shaped like the values WeChat's admin console shows: a Token of 3–32 characters, a
# 43-character EncodingAESKey (base64 of 32 bytes without its "="), an AppID "wx" + 16
# hex digits, a 32-hex-digit AppSecret. They only ever talk to the local fake WeChat API.
_SHAPES = {
    "WECHAT_TOKEN": lambda: secrets.token_hex(16),
    "WECHAT_ENCODING_AES_KEY": lambda: "".join(secrets.choice(_ALNUM) for _ in range(43)),
    "WECHAT_APP_ID": lambda: "wx" + secrets.token_hex(8),
    "WECHAT_APP_SECRET": lambda: secrets.token_hex(16),
    # Typed by people at the login page of the agent workspace: short enough to type.
    "STAFF_AGENT_PASSWORD": lambda: secrets.token_urlsafe(9),
    "STAFF_SUPERVISOR_PASSWORD": lambda: secrets.token_urlsafe(9),
}


def ensure(path: Path) -> dict[str, str]:
    values = read(path)
    missing = [name for name in NAMES if not values.get(name)]
    if missing:
        for name in missing:
            values[name] = _SHAPES.get(name, lambda: secrets.token_hex(32))()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("# Generated development secrets. Never commit; never reuse in production.\n")
            handle.writelines(f"{k}={v}\n" for k, v in sorted(values.items()))
    return {name: os.environ.get(name) or values[name] for name in NAMES}


def read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values
