"""Single-line, key=value logs, scrubbed of secrets before they are written."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from pydantic import SecretStr


def kv(**fields: object) -> str:
    """Render fields as `key=value` pairs; values with spaces or quotes are quoted."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        if not text or any(ch in text for ch in ' "=\n\t'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


class RedactSecrets(logging.Filter):
    """Replace any configured secret value in a record with `***` (defence in depth)."""

    def __init__(self, secrets: Iterable[SecretStr | str]):
        super().__init__()
        values = (s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets)
        self._secrets = sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        scrubbed, exc_text = message, record.exc_text or ""
        for secret in self._secrets:
            scrubbed = scrubbed.replace(secret, "***")
            exc_text = exc_text.replace(secret, "***")
        record.msg, record.args = scrubbed, None
        if record.exc_text:
            record.exc_text = exc_text
        return True


class SingleLineFormatter(logging.Formatter):
    """One record, one line: a traceback or multi-line message is folded in with `\\n`.

    Log routers (Heroku's Logplex, most drains) split on newlines; a traceback spread over
    twenty lines would become twenty unrelated entries without a request id.
    """

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


LOG_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def configure_logging(level: str, secrets: Iterable[SecretStr | str] = ()) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(SingleLineFormatter(LOG_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; ours already says what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
