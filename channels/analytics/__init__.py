"""Analytics and quality (issue 11): one masked event per turn in a SQL store, the
supervisors' dashboard, the knowledge-base review list, quality samples and reports.

The data-collection standard (what is recorded, what never is) is docs/analytics.md.
Modules: ``schema`` (tables) · ``events`` (pure builders of event rows) · ``store``
(engine, retention) · ``recorder`` (the off-path queue and batch writer) · ``queries``
(KPIs on SQLite and PostgreSQL) · ``charts`` (inline SVG) · ``review`` · ``quality`` ·
``report`` · ``dashboard`` (routes).
"""
