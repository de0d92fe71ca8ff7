"""Speech for the phone line: recognition, synthesis, voice-activity detection.

Engines are chosen by name from small registries (:mod:`speech.recognizer`,
:mod:`speech.synthesizer`); none downloads anything at run time.

Errors::

    SpeechError
     ├── EngineUnavailableError   an engine's model or binary is missing
     └── SynthesisError           the engine failed on a text
"""
