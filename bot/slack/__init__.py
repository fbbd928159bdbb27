"""Slack-facing pieces: pure renderers and the text they need. No I/O here."""
