"""Unit tests: one piece at a time (renderers, parsing, settings, the client over
httpx.MockTransport); no app, no sockets."""
