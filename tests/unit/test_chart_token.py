"""The chart URL's token: signed over the window and the expiry; anything else is refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.charts import ChartToken, chart_key

KEY = chart_key("test-signing-secret")
TOKEN = ChartToken(date(2026, 3, 1), 30, expires=1_800_000_000)


def test_a_token_verifies_until_it_expires():
    signed = TOKEN.sign(KEY)
    assert ChartToken.verify(signed, KEY, now=1_799_999_999) == TOKEN
    assert ChartToken.verify(signed, KEY, now=1_800_000_000) is None


def test_the_key_is_derived_not_the_secret_itself():
    assert KEY != b"test-signing-secret" and len(KEY) == 32
    assert chart_key("another-secret") != KEY


@pytest.mark.parametrize(
    "altered",
    [
        lambda t: t.replace("-30-", "-31-", 1),  # another window
        lambda t: t.replace("20260301", "20260302", 1),
        lambda t: t.replace("1800000000", "1900000000", 1),  # a later expiry
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + "A",
        lambda t: t.split(".")[0],
        lambda t: "",
        lambda t: "../../etc/passwd",
    ],
)
def test_an_altered_token_is_refused(altered):
    assert ChartToken.verify(altered(TOKEN.sign(KEY)), KEY, now=0) is None


def test_a_token_signed_with_another_key_is_refused():
    assert ChartToken.verify(TOKEN.sign(chart_key("other")), KEY, now=0) is None
