"""Integration tests: signed requests into the real app over HTTP or Socket Mode, the real web
process as a child, shutdown."""
