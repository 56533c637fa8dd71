"""The retry schedule: parsing the setting, and the delay after each failed attempt."""

import pytest

from infra.webhook_schedule import DEFAULT_RETRY_SCHEDULE, next_attempt_delay, parse_retry_schedule


class TestParse:
    def test_the_default_is_the_documented_schedule(self) -> None:
        assert parse_retry_schedule(DEFAULT_RETRY_SCHEDULE) == (
            5,
            300,
            1800,
            7200,
            18000,
            36000,
            36000,
        )

    def test_one_item_and_spaces_around_items(self) -> None:
        assert parse_retry_schedule("1") == (1,)
        assert parse_retry_schedule(" 1 , 2,3 ") == (1, 2, 3)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "retry schedule item 1 ('') is not a positive number of seconds"),
            ("  ", "retry schedule item 1 ('') is not a positive number of seconds"),
            ("5,,300", "retry schedule item 2 ('') is not a positive number of seconds"),
            ("5,", "retry schedule item 2 ('') is not a positive number of seconds"),
            ("0", "retry schedule item 1 ('0') is not a positive number of seconds"),
            ("5,-5", "retry schedule item 2 ('-5') is not a positive number of seconds"),
            ("5,abc", "retry schedule item 2 ('abc') is not a positive number of seconds"),
            ("1.5", "retry schedule item 1 ('1.5') is not a positive number of seconds"),
            ("+5", "retry schedule item 1 ('+5') is not a positive number of seconds"),
            ("\u0663", "retry schedule item 1 ('\u0663') is not a positive number of seconds"),
        ],
    )
    def test_refuses_what_is_not_positive_whole_seconds(self, text: str, message: str) -> None:
        with pytest.raises(ValueError, match=r"^retry schedule") as refused:
            parse_retry_schedule(text)
        assert str(refused.value) == message


class TestNextAttemptDelay:
    def test_each_failed_attempt_waits_its_own_delay_then_none(self) -> None:
        schedule = (5, 300, 1800)
        assert [next_attempt_delay(schedule, attempt) for attempt in (1, 2, 3, 4, 5)] == [
            5,
            300,
            1800,
            None,
            None,
        ]

    def test_attempts_are_numbered_from_one(self) -> None:
        with pytest.raises(ValueError, match=r"^attempts are numbered from 1$"):
            next_attempt_delay((5,), 0)
