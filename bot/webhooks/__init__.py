"""CometChat webhooks in, the live moderation feed out.

- `auth`, `endpoint`: the WSGI handler at `WEBHOOK_PATH`, behind HTTP Basic Auth;
- `dedupe`, `feed`: filters, retries posted once, the post to `FEED_CHANNEL_ID`;
- `build.create_webhook_endpoint(services)`: the wiring; without credentials or a feed channel
  the endpoint is built shut (404), never open.

The payloads parse into `bot.domain.member_events`, below both this package and the feed's
renderer (`bot.slack.feed_blocks`), so neither imports the other back.
"""
