"""HTTP Basic Auth for CometChat's webhook deliveries, the only credential CometChat sends."""

from __future__ import annotations

import base64
import binascii
import hmac

from pydantic import SecretStr


class BasicAuth:
    def __init__(self, user: str, password: SecretStr):
        self._user = user.encode()
        self._password = password.get_secret_value().encode()

    def check(self, header: str | None) -> bool:
        """True only for `Basic base64(user:password)` with both parts right.

        Both parts are compared in constant time, and both comparisons always run, so the
        answer's timing says nothing about which part (or how much of it) was wrong.
        """
        if not header:
            return False
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        user_ok = hmac.compare_digest(user, self._user)
        password_ok = hmac.compare_digest(password, self._password)
        return bool(sep) and user_ok and password_ok
