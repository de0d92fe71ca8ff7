"""The error tree of :mod:`speech` (drawn in the package docstring)."""

from __future__ import annotations


class SpeechError(Exception):
    pass


class EngineUnavailableError(SpeechError):
    """A model directory, binary or environment an engine needs is missing."""


class SynthesisError(SpeechError):
    pass


class AudioError(SpeechError):
    """Audio the codecs refuse (:mod:`speech.codecs`)."""


class UndecodableAudioError(AudioError):
    """Not AMR or SILK, damaged, or the decoder failed on it."""


class AudioTooLongError(AudioError):
    """Longer than a WeChat voice message can be (60 s)."""
