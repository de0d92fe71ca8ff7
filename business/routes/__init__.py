"""The API routes, one module per noun, all under ``/api/v1`` and behind the token."""
