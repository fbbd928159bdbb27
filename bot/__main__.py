"""`python -m bot serve` runs the bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise the
production web server (gunicorn, configured in gunicorn.conf.py) exactly as the Procfile starts it.

`python -m bot check` checks the configuration; `python -m bot migrate` brings the database's
schema up to date; `python -m bot list <guid> [--page N]` prints a
group's banned users in the terminal; `python -m bot where <uid>` prints where a user is banned
(the history's answer, then a scan of every group); `python -m bot forget <uid>` blanks a user's
names and reasons in the history (erasure requests); `python -m bot docs [--write]` checks (or
rewrites) .env.example, app.json, the manifests' usage hint and the tables in docs/ against the
settings and the command grammar they are produced from.
"""

from __future__ import annotations

import sys

COMMANDS = ("serve", "check", "list", "where", "migrate", "forget", "docs")


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
        # Socket Mode runs patched, like the web workers: slack_sdk's built-in WebSocket client
        # is plain sockets and threads (tests/integration/test_socket_mode.py runs it that way).
        from gevent import monkey

        monkey.patch_all()
    if command == "check":
        # Reports settings problems itself, beside what Slack and CometChat answer.
        from bot.cli.check import main as check

        return check()
    if command == "docs":
        # Reads and writes the repository's documents only: no settings needed.
        from bot.cli.docs import main as docs

        return docs(args[1:])
    if command == "migrate":
        # Needs DATABASE_URL alone: the release phase should not fail on a Slack setting.
        from bot.cli.migrate import main as migrate

        return migrate()
    if command == "forget":
        # Needs DATABASE_URL alone, like migrate: an erasure must not wait on a Slack setting.
        from bot.cli.forget import main as forget

        return forget(args[1:])
    from bot.web.startup import configure_process_logging, settings_or_exit

    try:
        settings = settings_or_exit()
    except SystemExit as exc:
        return int(exc.code or 2)
    configure_process_logging(settings)
    if command == "list":
        from bot.cli.list_banned import main as list_banned

        return list_banned(args[1:], settings)
    if command == "where":
        from bot.cli.where import main as where

        return where(args[1:], settings)
    from bot.cli.serve import launch
    from bot.domain.errors import StartupError

    try:
        return launch(settings)
    except StartupError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
