"""Local stand-ins for outside systems, real HTTP servers speaking their formats, for
tests and for ``make run`` (nothing here runs in production)."""
