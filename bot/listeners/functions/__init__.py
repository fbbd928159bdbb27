"""Workflow Builder steps (Bolt's `app.function`): each `function_executed` event is answered
with `complete(outputs)` or `fail(error)`, from the job pool. The steps are declared in
manifest.workflows.yml only (they need an org-ready app)."""

from collections.abc import Callable

from slack_bolt import App, BoltContext, Complete, Fail

from bot.listeners.functions.steps import Step, ban_step, is_banned_step, run_step, unban_step
from bot.services import Services
from bot.slack.workflow_steps import STEP_BAN, STEP_IS_BANNED, STEP_UNBAN

STEPS: dict[str, Step] = {
    STEP_BAN: ban_step,
    STEP_UNBAN: unban_step,
    STEP_IS_BANNED: is_banned_step,
}


def register(app: App, services: Services) -> None:
    # Bolt acknowledges the event itself; the step's answer is the complete/fail call.
    for name, step in STEPS.items():
        app.function(name)(_listener(name, step, services))


def _listener(name: str, step: Step, services: Services) -> Callable[..., None]:
    def listener(inputs: dict, complete: Complete, fail: Fail, context: BoltContext) -> None:
        # Bolt injects by parameter name; the execution id tells a retried delivery.
        run_step(name, step, context.function_execution_id, inputs, complete, fail, services)

    listener.__name__ = name  # Bolt's log lines name a listener by it
    return listener
