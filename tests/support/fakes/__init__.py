"""Local stand-ins for CometChat and Slack, shared by tests and benchmarks. No network."""
