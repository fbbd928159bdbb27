"""Workflow Builder steps (Bolt's `app.function`): each `function_executed` event is answered
with `complete(outputs)` or `fail(error)`, from the job pool. The steps are declared in
manifest.workflows.yml only (they need an org-ready app)."""

from slack_bolt import App, Complete, Fail

from bot.listeners.functions.steps import ban_step, is_banned_step, run_step, unban_step
from bot.services import Services
from bot.slack.workflow_steps import STEP_BAN, STEP_IS_BANNED, STEP_UNBAN


def register(app: App, services: Services) -> None:
    # Bolt acknowledges the event itself; the step's answer is the complete/fail call.
    @app.function(STEP_BAN)
    def ban(inputs: dict, complete: Complete, fail: Fail):  # Bolt injects by parameter name
        run_step(STEP_BAN, ban_step, inputs, complete, fail, services)

    @app.function(STEP_UNBAN)
    def unban(inputs: dict, complete: Complete, fail: Fail):
        run_step(STEP_UNBAN, unban_step, inputs, complete, fail, services)

    @app.function(STEP_IS_BANNED)
    def is_banned(inputs: dict, complete: Complete, fail: Fail):
        run_step(STEP_IS_BANNED, is_banned_step, inputs, complete, fail, services)
