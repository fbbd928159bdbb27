"""`python -m bot serve` runs the web process. Later commands: `check`, `list`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    if command == "serve":
        # Must come first: gevent replaces blocking socket/thread primitives with green ones.
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
        return 2

    from bot.logs import configure_logging

    configure_logging(
        settings.log_level,
        secrets=[
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.cometchat_api_key,
        ],
    )
    if command == "serve":
        from bot.server import serve

        return serve(settings)
    print(f"Unknown command {command!r}. Try: python -m bot serve", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
