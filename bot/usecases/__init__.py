"""Use cases that join CometChat to Slack: a rendered page, ban/unban, the CSV export."""
