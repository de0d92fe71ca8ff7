"""12333 smart customer service: command line, process supervision and shared primitives.

Modules here import only the standard library at import time, because both Python
environments (bot: Rasa; app: gateway and actions) load them.
"""

__version__ = "0.1.0"
