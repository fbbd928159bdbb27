"""Which Slack team the bot serves, and whether a request's person belongs to it.

The bot token answers for one workspace (or one Enterprise Grid org, for an org-wide install).
Slack still sends the app requests from people of other teams: in a Slack Connect channel shared
with another company, their clicks on the bot's buttons arrive signed like any other. The team is
learned once at start-up from `auth.test`; each request's *person* is compared with it. The
channel's host team is not what counts: a shared channel is hosted by us for everyone in it.

Where Slack names the person's team (Slack's interaction payload reference):
- interactions (`block_actions`, `block_suggestion`, `view_submission`, …): `user.team_id`, the
  person's own team; in an Enterprise Grid org it may be the org's id (`E…`) instead of the
  workspace's. `team.id` is the workspace the interaction came from; `enterprise.id` (or
  `team.enterprise_id`) the org.
- slash commands: `team_id` (and `enterprise_id`) of the workspace the person typed it in.
- events: Bolt works out the actor (`context.actor_team_id`) from `event.user_team` and friends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import StartupError

_ERROR_CODE = re.compile(r"[a-z_]{1,80}")  # Slack's error codes: `invalid_auth`, `token_revoked`…


@dataclass(frozen=True)
class Actor:
    """The team of the person behind a request, as the payload names it."""

    team_id: str | None  # the person's team (may be an org id `E…` in Enterprise Grid)
    enterprise_id: str | None = None
    workspace_id: str | None = None  # the workspace the request came from, when named apart


@dataclass(frozen=True)
class Workspace:
    """The team the bot token belongs to, from `auth.test`."""

    team_id: str
    enterprise_id: str | None = None
    org_wide: bool = False  # an Enterprise Grid org-wide install serves every workspace of the org
    bot_user_id: str | None = None
    bot_id: str | None = None

    def admits(self, actor: Actor) -> bool:
        """True only for a person of our team (or org, for an org-wide install).

        A request that names no team at all is refused: every payload Slack sends names one, so
        such a request is not a Slack surface this bot serves.
        """
        if actor.team_id is None and actor.enterprise_id is None:
            return False
        if actor.enterprise_id is not None and actor.enterprise_id != self.enterprise_id:
            return False  # another org; or an org at all when we are a plain workspace
        if self.org_wide:
            # Any workspace of our org; a person's team given as an org id must be ours.
            if actor.team_id is not None and actor.team_id.startswith("E"):
                return actor.team_id == self.enterprise_id
            return self.enterprise_id is not None and actor.enterprise_id == self.enterprise_id
        if actor.team_id == self.team_id:
            return True
        # In a Grid org Slack may name the org as the person's team: then the request must come
        # from our workspace of it.
        return (
            self.enterprise_id is not None
            and actor.team_id == self.enterprise_id
            and actor.workspace_id == self.team_id
        )


def actor_of(
    body: dict[str, Any],
    *,
    event_team_id: str | None = None,
    event_enterprise_id: str | None = None,
) -> Actor:
    """The person's team in a request body. `event_*`: Bolt's actor ids, used for events."""
    if body.get("type") == "event_callback":
        return Actor(_text(event_team_id), _text(event_enterprise_id))
    if "command" in body:
        team = _text(body.get("team_id"))
        return Actor(team, _text(body.get("enterprise_id")), team)
    user = body.get("user")
    team = body.get("team")
    enterprise = body.get("enterprise")
    workspace = _text(team.get("id")) if isinstance(team, dict) else _text(team)
    org = _text(enterprise.get("id")) if isinstance(enterprise, dict) else _text(enterprise)
    if org is None and isinstance(team, dict):
        org = _text(team.get("enterprise_id"))
    person = _text(user.get("team_id")) if isinstance(user, dict) else None
    return Actor(person or workspace or _text(body.get("team_id")), org, workspace)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def learn_workspace(client: WebClient) -> Workspace:
    """Ask Slack who the bot token belongs to. Raises StartupError with a one-line reason."""
    where = urlsplit(client.base_url).netloc or client.base_url
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if not isinstance(code, str) or not _ERROR_CODE.fullmatch(code):
            # slack_sdk reports a body that is not JSON (a proxy's page) this way too.
            raise StartupError(
                f"{where} did not answer auth.test like Slack: check SLACK_API_URL "
                "(unset for slack.com)"
            ) from None
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN in auth.test ({code}): copy the Bot User OAuth "
            "Token (xoxb-…) again; `python -m bot check` says more"
        ) from None
    except (URLError, OSError) as exc:
        raise StartupError(
            f"cannot reach Slack at {where} for auth.test ({type(exc).__name__}): check "
            "SLACK_API_URL (unset for slack.com) and the network"
        ) from None
    except Exception as exc:  # a proxy's HTML page, a body that is not JSON…
        raise StartupError(
            f"{where} did not answer auth.test like Slack ({type(exc).__name__}): check "
            "SLACK_API_URL (unset for slack.com)"
        ) from None
    team, org = _text(answer.get("team_id")), _text(answer.get("enterprise_id"))
    org_wide = answer.get("is_enterprise_install") is True
    if team is None and not (org_wide and org):
        raise StartupError(
            f"auth.test at {where} named no team for SLACK_BOT_TOKEN: check SLACK_API_URL"
        )
    return Workspace(
        team_id=team or "",
        enterprise_id=org,
        org_wide=org_wide,
        bot_user_id=_text(answer.get("user_id")),
        bot_id=_text(answer.get("bot_id")),
    )
