"""The one way actions learn who the citizen is.

The gateway seals the identity context it sends with each message; this helper finds the
newest sealed context in the tracker and trusts it only if the seal is intact. Anything
else — no context, a broken seal, an unknown level — is an anonymous citizen.
"""

from __future__ import annotations

import os
import time

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from hotline.identity import LEVELS, IdentityContext, from_metadata

SECRET_ENV = "HOTLINE_SIGNING_SECRET"  # noqa: S105 (a variable name, not a secret)


def identity_of(tracker: Tracker) -> IdentityContext:
    secret = os.environ.get(SECRET_ENV, "").encode()
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            found = from_metadata(event.get("metadata"), secret)
            if found is not None:
                return found
    return IdentityContext()


def require_level(tracker: Tracker, dispatcher: CollectingDispatcher, level: str,
                  purpose: str) -> IdentityContext | None:
    """The citizen's identity when it is at ``level`` or above; otherwise ask the gateway to
    verify them (it runs the form at the edge) and return None. Every personal query goes
    through here."""
    identity = identity_of(tracker)
    expired = identity.expires_at is not None and identity.expires_at <= time.time()
    if not expired and LEVELS.index(identity.level) >= LEVELS.index(level):
        return identity
    dispatcher.utter_message(text=f"{purpose}涉及您的个人信息，需要先核实身份。",
                             json_message={"type": "verify", "level": level})
    return None
