"""Structured JSON logs with personal data masked before anything is written."""

from __future__ import annotations

import logging
import sys
from typing import Any, MutableMapping

import structlog

from channels.masking import mask_mapping


def _mask(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event = event_dict.pop("event", "")
    masked = mask_mapping(event_dict)
    masked["event"] = mask_mapping({"event": event})["event"] if isinstance(event, str) else event
    return masked


def configure(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
