"""`python -m bot serve` runs the bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set).

`python -m bot check` checks the configuration; `python -m bot list <guid> [--page N]` prints a
group's banned users in the terminal.
"""

from __future__ import annotations

import sys

COMMANDS = ("serve", "check", "list")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    if command not in COMMANDS:
        print(
            f"Unknown command {command!r}. Try: python -m bot {' | '.join(COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    if command == "serve":
        # Must come first: gevent replaces blocking socket/thread primitives with green ones.
        # Socket Mode runs patched too: slack_sdk's built-in WebSocket client is plain sockets
        # and threads (tests/test_socket_mode.py runs `python -m bot serve` that way).
        from gevent import monkey

        monkey.patch_all()
    if command == "check":
        # Reports settings problems itself, beside what Slack and CometChat answer.
        from bot.check import main as check

        return check()
    from bot.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print("Cannot start: the configuration has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Set them in the environment or in .env (see .env.example).", file=sys.stderr)
        print(
            "Then run `python -m bot check` to test them against Slack and CometChat.",
            file=sys.stderr,
        )
        return 2

    from bot.logs import configure_logging

    configure_logging(
        settings.log_level,
        secrets=[
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.cometchat_api_key,
            settings.slack_app_token or "",
            settings.cometchat_webhook_password or "",
        ],
    )
    if command == "list":
        from bot.cli_list import main as list_banned

        return list_banned(args[1:], settings)
    from bot.socket_mode import launch

    return launch(settings)


if __name__ == "__main__":
    sys.exit(main())
