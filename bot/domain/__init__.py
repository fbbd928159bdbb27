"""What /banned knows without Slack or HTTP: ids, button values, the command grammar, permissions,
search, audit entries, webhook member events and the typed errors."""
