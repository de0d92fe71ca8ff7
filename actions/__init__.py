"""Custom actions for the Rasa action server (app environment, rasa-sdk 3.6).

rasa-sdk imports every module here at start-up, so nothing in this package does I/O or
reads settings at import time.
"""
