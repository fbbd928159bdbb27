"""Contract tests: what the bot sends and asks for matches Slack (Block Kit, the manifest) and
CometChat's API."""
