"""The error tree of :mod:`speech` (drawn in the package docstring)."""

from __future__ import annotations


class SpeechError(Exception):
    pass


class EngineUnavailableError(SpeechError):
    """A model directory, binary or environment an engine needs is missing."""


class SynthesisError(SpeechError):
    pass
