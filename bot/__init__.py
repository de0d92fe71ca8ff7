"""Rasa-side code (bot environment only): the signed input channel and custom components."""
