"""/banned — a Slack bot for seeing and managing who is banned from CometChat groups."""
