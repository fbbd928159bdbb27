"""CometChat webhooks in, the live moderation feed out.

- `models`: payloads parsed into typed events (and the reasons some are not);
- `auth`, `endpoint`: the WSGI handler at `WEBHOOK_PATH`, behind HTTP Basic Auth;
- `dedupe`, `feed`: filters, retries posted once, the post to `FEED_CHANNEL_ID`;
- `build.create_webhook_endpoint(services)`: the wiring; without credentials or a feed channel
  the endpoint is built shut (404), never open.

Kept free of imports so that `bot.slack.feed_blocks` can use the models without a cycle.
"""
