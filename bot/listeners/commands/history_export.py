"""`/banned history export [<guid>] [<days>]`: on its way (or why not) in the acknowledgement,
the rest through the command's response_url."""

from __future__ import annotations

from slack_bolt import Ack

from bot.domain.command import ExportHistory
from bot.listeners.history_export import start_history_export
from bot.services import Services
from bot.slack.message import Message
from bot.slack.payloads import ephemeral, new_ephemeral


def handle_history_export_command(
    ack: Ack, command: dict, request: ExportHistory, services: Services
) -> None:
    """`/banned history export …`: on its way (or why not) in the acknowledgement, the rest
    through the command's response_url."""
    response_url = command.get("response_url") or ""

    def say(message: Message) -> None:
        if response_url:
            services.responder.post(response_url, new_ephemeral(message))

    user = command.get("user_id") or ""
    first, _started = start_history_export(services, services.slack_api, user, request, say)
    ack(**ephemeral(first))
