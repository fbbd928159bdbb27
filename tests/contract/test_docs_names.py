"""The documents name only what exists: every setting or environment variable they mention is a
`Settings` field or a variable something reads, every route of the bot is one bot/web/wsgi.py
serves, every `/banned …` form is one of the grammar's, every `python -m bot …` one of
bot/__main__.py's commands, and every relative link reaches a file (and a heading) that exists.
A name renamed in the code and left in a document fails here."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import pytest

from bot.__main__ import COMMANDS
from bot.domain.command import parse_command
from bot.domain.errors import BotError
from bot.domain.grammar import COMMAND, FORMS
from bot.settings import Settings
from bot.web.error_reports import RELEASE_VARIABLES
from bot.web.wsgi import CHARTS_PREFIX, HEALTH_PATH, SLACK_PATH
from bot.webhooks.endpoint import WEBHOOK_PATH

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]

# Variables no code of ours reads, but a document may name: the proxies httpx honours itself.
# httpx's proxies; glibc's and CPython's allocators (the memory experiments the performance
# notes tell of).
READ_BY_LIBRARIES = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"} | {
    "MALLOC_ARENA_MAX",
    "PYTHONMALLOC",
}
# Upper-case words that are not variables at all: a socket option, the placeholder of
# bench/history_explain.py's argument, and the one of `heroku config:set NAME=value`.
NOT_VARIABLES = {"TCP_NODELAY", "POSTGRESQL_SERVER_URL", "NAME"}
# Absolute paths the documents name that are not routes: Heroku's checkout directory, and the
# unit of "840 /s".
NOT_ROUTES = {"/app", "/s"}
# Examples of `/banned` the documents quote because the bot refuses them.
REFUSED_EXAMPLES = {"/banned user a/b"}


def document(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


# -- what exists -----------------------------------------------------------------------------------

_READS = (
    # os.environ.get("X"), environ["X"], os.getenv("X"), monkeypatch.setenv("X", …)
    re.compile(r"""(?:environ|getenv|setenv|delenv)\b[^"'\n]{0,12}["']([A-Z][A-Z0-9_]*)["']"""),
    # "X" in os.environ
    re.compile(r"""["']([A-Z][A-Z0-9_]*)["']\s+(?:not\s+)?in\s+(?:os\.)?environ\b"""),
)


def variables_in_use() -> set[str]:
    """The settings, and every environment variable the code, the tests, CI or make read."""
    names = {name.upper() for name in Settings.model_fields} | set(RELEASE_VARIABLES)
    sources = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("bench/**/*.py"), *ROOT.glob("tests/**/*.py")]
    for source in [*sources, ROOT / "gunicorn.conf.py"]:
        text = source.read_text(encoding="utf-8")
        for pattern in _READS:
            names |= set(pattern.findall(text))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    names |= set(re.findall(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=", ci, re.M))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    names |= set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*[?:]?=", makefile, re.M))
    names |= set(re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", makefile))
    return names | READ_BY_LIBRARIES


def cometchat_routes() -> list[re.Pattern[str]]:
    """CometChat's operations the project's contract knows, `{guid}` standing for any segment."""
    contract = json.loads((ROOT / "spec" / "cometchat" / "contract.json").read_text())
    return [
        re.compile(re.sub(r"\\\{[^/]+?\\\}", r"[^/]+", re.escape(op["path"])) + r"(?:\?.*)?")
        for op in contract["operations"]
    ]


def command_forms() -> set[str]:
    """Every way the grammar's forms may be written: optional parts kept or left out."""
    written = set()
    for form in FORMS:
        optional = re.findall(r" \[[^\]]+\]", form.syntax)
        for n in range(len(optional) + 1):
            for dropped in combinations(optional, n):
                syntax = form.syntax
                for part in dropped:
                    syntax = syntax.replace(part, "", 1)
                written.add(f"{COMMAND} {syntax}".rstrip())
    return written


# -- what the documents name -----------------------------------------------------------------------

_SNAKE = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w-])")
_ASSIGNED = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)=")
_CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", re.S)


def named_variables(text: str) -> set[str]:
    """UPPER_SNAKE words, and any `NAME=` (so `PORT=5000` counts); HYPOTHESIS_* are pytest's."""
    return set(_SNAKE.findall(text)) | set(_ASSIGNED.findall(text))


def code_spans(text: str) -> list[str]:
    """What the document writes as code: inline spans, and each line of a fenced block."""
    spans = []
    for block, inline in _CODE.findall(text):
        spans += block.splitlines() if block else [inline]
    return spans


def named_routes(text: str) -> set[str]:
    """The paths of the bot's own URLs, and every other absolute path outside a file path (a
    path's tail after `…` names no route by itself)."""
    own = re.findall(
        r"https://(?:YOUR-HOST|<your-host>|[\w<>-]+\.herokuapp\.com)(/[^\s`)>*]*)", text
    )
    bare = re.findall(r"(?<![\w.:/~<>$…-])(/[a-z][\w.-]*(?:/[^\s`),;*]*)?)", text)
    paths = {p.rstrip(".") for p in [*own, *bare]}
    return {p for p in paths if not p.startswith(COMMAND + "/") and p != COMMAND}


def named_commands(text: str) -> set[str]:
    """Each `/banned …` written as code, as far as the code goes."""
    found = set()
    for span in code_spans(text):
        for match in re.finditer(rf"(?<![\w/]){re.escape(COMMAND)}(?:\s[^`|]*)?$", span.strip()):
            found.add(" ".join(match.group(0).split()))
    return found


# -- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_variable_named_exists(name):
    known = variables_in_use()
    unknown = {
        v
        for v in named_variables(document(name))
        if v not in known and v not in NOT_VARIABLES and not v.startswith("HYPOTHESIS_")
    }
    assert not unknown, f"{name} names variables nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_route_named_is_served(name):
    served = (SLACK_PATH, HEALTH_PATH, WEBHOOK_PATH)
    cometchat = cometchat_routes()
    wrong = set()
    for path in named_routes(document(name)):
        if path in served or path.startswith(CHARTS_PREFIX) or path in NOT_ROUTES:
            continue
        if any(route.fullmatch(path) for route in cometchat):
            continue  # one of CometChat's operations, as the contract names it
        wrong.add(path)
    assert not wrong, f"{name} names routes that neither the bot nor CometChat serve: {wrong}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_banned_command_named_exists(name):
    forms = command_forms()
    wrong = set()
    for command in named_commands(document(name)):
        if "<" in command:  # a form: it must be one of the grammar's
            if command not in forms:
                wrong.add(command)
            continue
        try:  # an example: the bot must understand it, unless it is quoted as refused
            parse_command(command.removeprefix(COMMAND))
        except BotError:
            if command not in REFUSED_EXAMPLES:
                wrong.add(command)
        else:
            if command in REFUSED_EXAMPLES:
                wrong.add(command)
    assert not wrong, f"{name} names `/banned` forms the grammar does not have: {sorted(wrong)}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_python_m_bot_command_named_exists(name):
    named = set(re.findall(r"python -m bot ([a-z][\w-]*)", document(name)))
    assert named <= set(COMMANDS), f"{name}: no such command {sorted(named - set(COMMANDS))}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_relative_link_reaches_a_file_and_heading(name):
    source = ROOT / name
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", document(name)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        linked = (source.parent / file).resolve() if file else source
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            broken.append(target)
    assert not broken, f"{name} links to what does not exist: {broken}"


# -- the checks themselves -------------------------------------------------------------------------


def test_the_checks_catch_what_does_not_exist(tmp_path):
    """Each finder sees a wrong name, so the tests above cannot pass by seeing nothing."""
    text = (
        "Set `SLACK_BOT_TOKN` and `PORTE=3000`; Slack posts to "
        "`https://YOUR-HOST/slack/event`, CometChat reads `GET /groups/{guid}/banned`. "
        "Type `/banned <group-guid> mute <uid>` or `/banned g-1 ban bad/uid`, run "
        "`python -m bot serv`, read [this](docs/nowhere.md) or [that](#no-such-heading)."
    )
    assert {"SLACK_BOT_TOKN", "PORTE"} <= named_variables(text) - variables_in_use()
    routes = named_routes(text)
    assert "/slack/event" in routes and "/groups/{guid}/banned" in routes
    assert not any(r.fullmatch("/groups/{guid}/banned") for r in cometchat_routes())
    assert {"/banned <group-guid> mute <uid>", "/banned g-1 ban bad/uid"} <= named_commands(text)
    assert "/banned <group-guid> mute <uid>" not in command_forms()
    with pytest.raises(BotError):
        parse_command("g-1 ban bad/uid")
    assert "serv" not in COMMANDS
    assert "no-such-heading" not in anchors(ROOT / "README.md")


def test_what_exists_is_found():
    """The real names are recognised, so the tests above do not fail by seeing too little."""
    known = variables_in_use()
    assert {"SLACK_BOT_TOKEN", "PORT", "DYNO", "HEROKU_SLUG_COMMIT", "TEST_DATABASE_URL"} <= known
    assert {"COMETCHAT_SPEC", "CHAOS_SEED", "BENCH_DATABASE_URL"} <= known
    forms = command_forms()
    assert "/banned <group-guid> ban <uid>" in forms
    assert "/banned <group-guid> ban <uid> [<duration>] [<reason…>]" in forms
    assert "/banned user <uid>" in forms and "/banned" in forms
    assert "quick-start" in anchors(ROOT / "README.md")
