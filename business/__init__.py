"""The reference provincial business system (issue 5).

A small FastAPI + SQLAlchemy service with the API that the action server and the gateway
call for applications, appointments, tickets and personal records. A province plugs in
its own system by implementing the same API (``docs/business-api.md``); this one keeps
the whole hotline working end to end on a laptop, seeded with synthetic demo data.
"""
