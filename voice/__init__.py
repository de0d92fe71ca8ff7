"""The phone line: a SIP user agent server answering the hotline's PBX/SBC, RTP G.711 media,
and the call flow that turns speech into dialogue turns and answers into speech.

Runs as its own process (``python -m voice``, started by ``hotline run``) and talks to the
gateway over HTTP like any other channel's edge (docs/voice.md).
"""
