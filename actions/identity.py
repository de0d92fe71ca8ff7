"""The one way actions learn who the citizen is.

The gateway seals the identity context it sends with each message; this helper finds the
newest sealed context in the tracker and trusts it only if the seal is intact. Anything
else — no context, a broken seal, an unknown level — is an anonymous citizen.
"""

from __future__ import annotations

import os

from rasa_sdk import Tracker

from hotline.identity import IdentityContext, from_metadata

SECRET_ENV = "HOTLINE_SIGNING_SECRET"  # noqa: S105 (a variable name, not a secret)


def identity_of(tracker: Tracker) -> IdentityContext:
    secret = os.environ.get(SECRET_ENV, "").encode()
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            found = from_metadata(event.get("metadata"), secret)
            if found is not None:
                return found
    return IdentityContext()
