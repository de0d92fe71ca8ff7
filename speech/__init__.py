"""Speech for the phone line and WeChat voice messages: recognition, synthesis, codecs, VAD.

Engines are chosen by name from small registries (:mod:`speech.recognizer`,
:mod:`speech.synthesizer`); none downloads anything at run time.

Errors::

    SpeechError
     ├── EngineUnavailableError   an engine's model or binary is missing
     ├── SynthesisError           the engine failed on a text
     └── AudioError               audio the codecs refuse (speech.codecs)
          ├── UndecodableAudioError   not AMR or SILK, damaged
          └── AudioTooLongError       longer than 60 s
"""
