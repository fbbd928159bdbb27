"""The chart URL's token: what the chart shows and until when the URL works, HMAC-signed.

Slack's image proxy fetches the chart without signing its request, so the token is the only key.
Its key is derived from the signing secret with a fixed label: no new secret to configure, and a
token says nothing about the secret it was made with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

_LABEL = b"banned/home-chart/v1"
_SHAPE = re.compile(r"(\d{8})-(\d{1,3})-(\d{1,12})\.([A-Za-z0-9_-]{43})")


def chart_key(signing_secret: str) -> bytes:
    return hmac.new(signing_secret.encode(), _LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class ChartToken:
    """The chart of `days` days ending with `last`, usable until `expires` (Unix seconds)."""

    last: date
    days: int
    expires: int

    def _payload(self) -> str:
        return f"{self.last:%Y%m%d}-{self.days}-{self.expires}"

    def sign(self, key: bytes) -> str:
        mac = hmac.new(key, self._payload().encode(), hashlib.sha256).digest()
        return f"{self._payload()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    @classmethod
    def verify(cls, token: str, key: bytes, now: float) -> ChartToken | None:
        """The token's content if it is well formed, signed with `key` and not expired."""
        match = _SHAPE.fullmatch(token)
        if match is None:
            return None
        day, days, expires, _ = match.groups()
        try:
            found = cls(date(int(day[:4]), int(day[4:6]), int(day[6:])), int(days), int(expires))
        except ValueError:
            return None
        if not hmac.compare_digest(found.sign(key), token):
            return None
        if not 1 <= found.days <= 366 or found.expires <= now:
            return None
        return found
