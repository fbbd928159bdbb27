"""A Slack Web API client whose requests travel over one pooled httpx client.

`slack_sdk.WebClient` opens a new connection (and TLS handshake) per call through urllib. This
subclass swaps only the lowest step, sending each already-built request through the shared
`httpx.Client`, so retry handlers, error handling and response parsing stay slack_sdk's own.
"""

from __future__ import annotations

import io
from http.client import HTTPMessage
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)


class PooledWebClient(WebClient):
    def __init__(self, *args: Any, http: httpx.Client, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._http = http

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not url.lower().startswith(("http://", "https://")):
            raise SlackRequestError(f"Invalid URL detected: {url}")
        try:
            response = self._http.request(
                req.get_method(),
                url,
                content=req.data,  # type: ignore[arg-type]
                headers={k: str(v) for k, v in req.header_items()},
                timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            # URLError is what slack_sdk's ConnectionErrorRetryHandler recognises.
            raise URLError(exc) from exc
        headers = HTTPMessage()
        for key, value in response.headers.multi_items():
            headers[key] = value
        if response.status_code >= 400:
            raise HTTPError(
                url,
                response.status_code,
                response.reason_phrase,
                headers,
                io.BytesIO(response.content),
            )
        return {"status": response.status_code, "headers": headers, "body": response.text}


def new_web_client(*, token: str, base_url: str, http: httpx.Client) -> PooledWebClient:
    return PooledWebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        http=http,
        # A burst (a bulk ban in the feed, an audit storm) can meet a rate limit: wait it out.
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
