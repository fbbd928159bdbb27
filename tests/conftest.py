from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from hypothesis import settings as hypothesis_settings

from bot.app import create_app
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from bot.web.wsgi import create_wsgi_app
from tests.support import seeds
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, sign

GUID = "cometchat-guid-1"

# Each Settings built here gets an SQLite file of its own (migrated by build_services), so no test
# sees another's webhook deliveries or history; the folder goes when the run ends.
_DATABASES = tempfile.TemporaryDirectory(prefix="banned-tests-")

# Hypothesis: enough examples to find edge cases, few enough to keep CI within minutes. Seeds
# come from tests/support/seeds.py and are printed at the end of every run;
# HYPOTHESIS_PROFILE=thorough digs.
hypothesis_settings.register_profile("ci", max_examples=150, deadline=None, print_blob=True)
hypothesis_settings.register_profile("thorough", max_examples=2000, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


pytest_plugins = ["tests.support.databases"]


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(seeds.summary())


def make_settings(**overrides) -> Settings:
    values = {
        "_env_file": None,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "cometchat_app_id": "testapp",
        "cometchat_api_key": API_KEY,
        "cometchat_base_url": "https://cometchat.test/v3",
        "slack_api_url": "https://slack.test/api/",
        "page_size": 10,
        "cometchat_retry_budget": 0.5,
        "workers": 8,
        "database_url": f"sqlite:///{_DATABASES.name}/{uuid.uuid4().hex}.sqlite3",
        # Many tests count CometChat's requests; a page read ahead in the background would race
        # with them. tests/integration/test_read_ahead.py runs with it, as the default is.
        "read_ahead": False,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def cometchat() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=57)
    fake.add_group("empty-group", "Quiet Corner", banned=0)
    return fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    with fake.serve() as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack_api_url=slack.url + "/api/")


@pytest.fixture
def services(settings: Settings, cometchat: FakeCometChat) -> Iterator[Services]:
    built = build_services(settings, cometchat_transport=cometchat.transport())
    yield built
    built.responder.drain(5)
    built.close()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class LiveApp:
    """The real Bolt app behind a real HTTP server on loopback; posts signed requests to it."""

    def __init__(self, url: str, services: Services):
        self.url = url
        self.services = services
        self.http = httpx.Client(base_url=url, timeout=10)

    def post(
        self,
        body: bytes,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict | None = None,
        **sign_kw,
    ) -> httpx.Response:
        all_headers = {"content-type": content_type, **sign(body, **sign_kw), **(headers or {})}
        return self.http.post("/slack/events", content=body, headers=all_headers)


@pytest.fixture
def live_app(services: Services) -> Iterator[LiveApp]:
    wsgi = create_wsgi_app(create_app(services), signing_secret=SIGNING_SECRET)
    server = make_server(
        "127.0.0.1", 0, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    # A short poll: shutdown() waits up to one interval, on every test that uses live_app.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    app = LiveApp(f"http://127.0.0.1:{server.server_port}", services)
    yield app
    app.http.close()
    server.shutdown()
    server.server_close()
