from datetime import timedelta

import pytest

from bot.domain.duration import describe_duration, looks_like_duration, parse_duration
from bot.domain.errors import BadDuration
from bot.slack.bot_error_words import BOT_ERRORS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1m", timedelta(minutes=1)),
        ("365d", timedelta(days=365)),
        ("24H", timedelta(hours=24)),
    ],
)
def test_durations_parse_to_their_length(text, expected):
    assert parse_duration(text) == expected


def test_permanent_is_no_end():
    assert parse_duration("permanent") is None
    assert parse_duration("Permanent") is None


@pytest.mark.parametrize("text", ["0m", "400d", "53w", "8761h", "525601m"])
def test_durations_outside_one_minute_to_a_year_are_refused(text):
    with pytest.raises(BadDuration) as caught:
        parse_duration(text)
    assert caught.value.out_of_range


@pytest.mark.parametrize("text", ["2x", "h", "2", "-1d", "1.5h", "2 h", "", "forever", "1234567d"])
def test_shapes_that_are_not_durations_are_refused(text):
    with pytest.raises(BadDuration) as caught:
        parse_duration(text)
    assert not caught.value.out_of_range


def test_a_bad_duration_is_told_with_the_accepted_forms():
    error = BadDuration("400d", out_of_range=True)
    message = BOT_ERRORS[BadDuration].user(error)
    for form in ("`30m`", "`2h`", "`7d`", "`2w`", "`permanent`"):
        assert form in message.text
    assert "`400d`" in message.text
    assert "Nobody was banned" in message.text


@pytest.mark.parametrize("word", ["400d", "0m", "2x", "24", "1.5h", "-1d", "PERMANENT", "2H"])
def test_a_word_starting_with_a_number_is_meant_as_a_duration(word):
    assert looks_like_duration(word)


@pytest.mark.parametrize("word", ["spamming", "x2", "perm", "-", "h2"])
def test_other_words_are_a_reason(word):
    assert not looks_like_duration(word)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(minutes=30), "30 min"),
        (timedelta(minutes=90), "90 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=24), "24 h"),
        (timedelta(hours=36), "36 h"),
        (timedelta(days=7), "7 days"),
        (timedelta(weeks=2), "14 days"),
        (None, "permanent"),
    ],
)
def test_durations_read_back_in_words(duration, words):
    assert describe_duration(duration) == words
