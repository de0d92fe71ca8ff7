"""The gateway: channel adapters, the durable inbound path, dialogue and operations.

Errors raised by this package derive from :class:`channels.errors.GatewayError`::

    GatewayError
    ├── BadRequestError          (HTTP 400: malformed input from a channel)
    ├── UnauthorizedError        (HTTP 401/403: unsigned or forbidden)
    ├── TooManyRequestsError     (HTTP 429: a limit was hit)
    └── DialogueUnavailableError (Rasa slow or down: the citizen gets a polite answer)
"""
