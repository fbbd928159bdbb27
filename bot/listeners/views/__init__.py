"""The ban modal's two steps (the shortcut's form is a step 1 with a group to choose), the mass
ban form's, and the form correcting a case. `form_value` decodes the modal's metadata first (and
puts back the channel the modal was opened from), so the moderator check looks at the right
conversation."""

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import AcrossRef, BanConfirmRef, BanRef, CaseRef, MassBanRef
from bot.domain.moderation import ModerationAction
from bot.listeners.middleware import form_value, moderators_only, moderators_only_in_form
from bot.listeners.views import across, massban
from bot.listeners.views.ban import handle_anywhere, handle_confirm, handle_uid
from bot.listeners.views.case_edit import handle_edit
from bot.services import Services
from bot.slack.across_blocks import VIEW_BAN_EVERYWHERE, VIEW_BAN_EVERYWHERE_CONFIRM
from bot.slack.case_blocks import EDIT_REASON_BLOCK_ID, VIEW_CASE_EDIT
from bot.slack.massban_blocks import VIEW_MASSBAN, VIEW_MASSBAN_ANYWHERE, VIEW_MASSBAN_CONFIRM
from bot.slack.moderation_blocks import VIEW_BAN, VIEW_BAN_ANYWHERE, VIEW_BAN_CONFIRM
from bot.usecases.cases import EDIT_PERMISSION


def register(app: App, services: Services) -> None:
    guard = moderators_only(services, ACTIONS[ModerationAction.BAN].permission)

    @app.view(VIEW_BAN, middleware=[form_value(BanRef), guard])
    def ban_uid(ack, view, context: BoltContext):  # Bolt injects by parameter name
        handle_uid(ack, context["form"], view, services)

    # The global shortcut's form: the group is chosen in it, so there is no metadata to decode.
    @app.view(VIEW_BAN_ANYWHERE, middleware=[guard])
    def ban_anywhere(ack, view):
        handle_anywhere(ack, view, services)

    @app.view(VIEW_BAN_CONFIRM, middleware=[form_value(BanConfirmRef), guard])
    def ban_confirm(ack, context: BoltContext):
        handle_confirm(ack, context["form"], context.user_id or "", services)

    mass_guard = moderators_only(services, ACTIONS[ModerationAction.MASS_BAN].permission)

    @app.view(VIEW_MASSBAN, middleware=[form_value(MassBanRef), mass_guard])
    def massban_form(ack, view, context: BoltContext):
        massban.handle_form(ack, context["form"], view, context.user_id or "", services)

    # From the Home tab: the group is chosen in the form, so there is no metadata to decode.
    @app.view(VIEW_MASSBAN_ANYWHERE, middleware=[mass_guard])
    def massban_anywhere(ack, view, context: BoltContext):
        massban.handle_anywhere(ack, view, context.user_id or "", services)

    @app.view(VIEW_MASSBAN_CONFIRM, middleware=[form_value(MassBanRef), mass_guard])
    def massban_confirm(ack, context: BoltContext):
        massban.handle_confirm(ack, context["form"], context.user_id or "", services)

    @app.view(VIEW_BAN_EVERYWHERE, middleware=[form_value(AcrossRef), guard])
    def ban_everywhere_form(ack, view, context: BoltContext):
        across.handle_form(ack, context["form"], view, services)

    @app.view(VIEW_BAN_EVERYWHERE_CONFIRM, middleware=[form_value(AcrossRef), guard])
    def ban_everywhere_confirm(ack, context: BoltContext):
        across.handle_confirm(ack, context["form"], context.user_id or "", services)

    # A refusal is said in the form itself, beside its first field.
    edit_guard = moderators_only_in_form(services, EDIT_PERMISSION, EDIT_REASON_BLOCK_ID)

    @app.view(VIEW_CASE_EDIT, middleware=[form_value(CaseRef), edit_guard])
    def case_edit(ack, view, context: BoltContext):
        handle_edit(ack, context["form"], view, context.user_id or "", services)
