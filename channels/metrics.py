"""Prometheus metrics of the gateway (scraped at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

registry = CollectorRegistry()

inbound = Counter("hotline_inbound_messages_total", "Accepted citizen messages",
                  ["channel"], registry=registry)
duplicates = Counter("hotline_inbound_duplicates_total", "Messages dropped as duplicates",
                     ["channel"], registry=registry)
turns = Counter("hotline_turns_total", "Bot turns by outcome", ["channel", "outcome"],
                registry=registry)
turn_seconds = Histogram("hotline_turn_seconds", "Time for Rasa to answer one turn",
                         ["channel"], registry=registry,
                         buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8))
refused = Counter("hotline_refused_total", "Requests refused by abuse limits", ["channel", "reason"],
                  registry=registry)
satisfaction = Counter("hotline_satisfaction_total", "Satisfaction ratings by score",
                       ["channel", "score"], registry=registry)
