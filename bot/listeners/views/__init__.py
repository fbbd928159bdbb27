"""The ban modal's two steps and the form correcting a case. `form_value` decodes the modal's
metadata first (and puts back the channel the modal was opened from), so the moderator check
looks at the right conversation."""

from slack_bolt import App, BoltContext

from bot.domain.button_values import BanConfirmRef, BanRef, CaseRef
from bot.listeners.middleware import form_value, moderators_only, moderators_only_in_form
from bot.listeners.views.ban import handle_confirm, handle_uid
from bot.listeners.views.case_edit import handle_edit
from bot.services import Services
from bot.slack.case_blocks import EDIT_REASON_BLOCK_ID, VIEW_CASE_EDIT
from bot.slack.moderation_blocks import VIEW_BAN, VIEW_BAN_CONFIRM
from bot.usecases.cases import EDIT_PERMISSION


def register(app: App, services: Services) -> None:
    guard = moderators_only(services, "ban users")

    @app.view(VIEW_BAN, middleware=[form_value(BanRef), guard])
    def ban_uid(ack, view, context: BoltContext):  # Bolt injects by parameter name
        handle_uid(ack, context["form"], view, services)

    @app.view(VIEW_BAN_CONFIRM, middleware=[form_value(BanConfirmRef), guard])
    def ban_confirm(ack, context: BoltContext):
        handle_confirm(ack, context["form"], context.user_id or "", services)

    # A refusal is said in the form itself, beside its first field.
    edit_guard = moderators_only_in_form(services, EDIT_PERMISSION, EDIT_REASON_BLOCK_ID)

    @app.view(VIEW_CASE_EDIT, middleware=[form_value(CaseRef), edit_guard])
    def case_edit(ack, view, context: BoltContext):
        handle_edit(ack, context["form"], view, context.user_id or "", services)
