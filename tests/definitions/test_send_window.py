"""The daily send window: parsing, storage, edges, midnight and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from campaigns.definitions.send_window import END_OF_DAY, SendWindow, first_instant

ISTANBUL = ZoneInfo("Europe/Istanbul")  # UTC+3 all year
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST: 2024-03-31 02:00→03:00, 2024-10-27 03:00→02:00


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- parsing and storage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("09:00-20:00", time(9), time(20)),
        ("09:00–20:00", time(9), time(20)),
        (" 9:00 - 20:30 ", time(9), time(20, 30)),
        ("20:00-02:00", time(20), time(2)),
        ("08:00-24:00", time(8), END_OF_DAY),
        ("20:00-00:00", time(20), END_OF_DAY),
        ("00:00-24:00", time(0), END_OF_DAY),
    ],
)
def test_parses(text: str, start: time, end: time | str) -> None:
    window = SendWindow.parse(text)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10:00-10:00", "aynı olamaz"),
        ("00:00-00:00", "aynı olamaz"),
        ("24:00-10:00", "geçersiz saat"),
        ("09:60-10:00", "geçersiz saat"),
        ("09:00-24:30", "geçersiz saat"),
        ("09:00", "biçiminde"),
        ("9-17", "biçiminde"),
        ("", "biçiminde"),
    ],
)
def test_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        SendWindow.parse(text)


@pytest.mark.parametrize("text", ["09:00-20:00", "20:00-02:00", "08:00-24:00", "00:00-24:00"])
def test_round_trips_through_the_time_columns(text: str) -> None:
    window = SendWindow.parse(text)
    start, end = window.to_columns()
    assert isinstance(start, time)
    assert isinstance(end, time)
    assert SendWindow.from_columns(start, end) == window
    assert str(window) == text


def test_always_open_is_stored_as_midnight_to_midnight() -> None:
    assert SendWindow.parse("00:00-24:00").to_columns() == (time(0), time(0))
    assert SendWindow.from_columns(time(0), time(0)).always_open
    assert not SendWindow.parse("00:00-23:59").always_open


def test_a_window_ending_at_midnight_is_one_window_however_written() -> None:
    assert SendWindow.parse("20:00-00:00") == SendWindow.parse("20:00-24:00")


# --- open or closed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        ((8, 59, 59), False),
        ((9, 0, 0), True),  # the start belongs to the window
        ((14, 0, 0), True),
        ((19, 59, 59), True),
        ((20, 0, 0), False),  # the end does not
        ((23, 0, 0), False),
    ],
)
def test_edges_in_istanbul(local: tuple[int, int, int], is_open: bool) -> None:
    window = SendWindow.parse("09:00-20:00")
    now = datetime(2024, 6, 3, *local, tzinfo=ISTANBUL).astimezone(UTC)
    assert window.is_open(now, ISTANBUL) is is_open
    assert window.is_open(now, "Europe/Istanbul") is is_open


def test_next_opening_is_now_when_open() -> None:
    window = SendWindow.parse("09:00-20:00")
    now = utc(2024, 6, 3, 6, 0)  # 09:00 in Istanbul
    assert window.next_opening(now, ISTANBUL) == now


def test_next_opening_before_and_after_the_window() -> None:
    window = SendWindow.parse("09:00-20:00")
    early = utc(2024, 6, 3, 3, 0)  # 06:00 local
    late = utc(2024, 6, 3, 17, 0)  # 20:00 local: just closed
    assert window.next_opening(early, ISTANBUL) == utc(2024, 6, 3, 6, 0)
    assert window.next_opening(late, ISTANBUL) == utc(2024, 6, 4, 6, 0)


def test_next_opening_is_utc_for_any_aware_input() -> None:
    window = SendWindow.parse("09:00-20:00")
    now = datetime(2024, 6, 3, 21, 0, tzinfo=ISTANBUL)
    opening = window.next_opening(now, ISTANBUL)
    assert opening.utcoffset() is not None
    assert opening.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert opening == utc(2024, 6, 4, 6, 0)


def test_naive_now_is_refused() -> None:
    window = SendWindow.parse("09:00-20:00")
    with pytest.raises(ValueError, match="aware"):
        window.is_open(datetime(2024, 6, 3, 12, 0), ISTANBUL)
    with pytest.raises(ValueError, match="aware"):
        window.next_opening(datetime(2024, 6, 3, 12, 0), ISTANBUL)


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        ((19, 59), False),
        ((20, 0), True),
        ((23, 30), True),
        ((0, 0), True),
        ((1, 59), True),
        ((2, 0), False),
        ((12, 0), False),
    ],
)
def test_overnight_window(local: tuple[int, int], is_open: bool) -> None:
    window = SendWindow.parse("20:00-02:00")
    assert window.crosses_midnight
    now = datetime(2024, 6, 3, *local, tzinfo=ISTANBUL).astimezone(UTC)
    assert window.is_open(now, ISTANBUL) is is_open


def test_overnight_window_next_opening_is_the_same_evening() -> None:
    window = SendWindow.parse("20:00-02:00")
    now = datetime(2024, 6, 3, 2, 0, tzinfo=ISTANBUL)  # just closed
    assert window.next_opening(now, ISTANBUL) == datetime(2024, 6, 3, 20, 0, tzinfo=ISTANBUL)


def test_window_until_midnight() -> None:
    window = SendWindow.parse("08:00-24:00")
    before_midnight = datetime(2024, 6, 3, 23, 59, 59, tzinfo=ISTANBUL)
    midnight = datetime(2024, 6, 4, 0, 0, tzinfo=ISTANBUL)
    assert window.is_open(before_midnight, ISTANBUL)
    assert not window.is_open(midnight, ISTANBUL)
    assert window.next_opening(midnight, ISTANBUL) == datetime(2024, 6, 4, 8, 0, tzinfo=ISTANBUL)


def test_always_open() -> None:
    window = SendWindow.parse("00:00-24:00")
    for now in (utc(2024, 3, 31, 1, 30), utc(2024, 10, 27, 1, 0), utc(2024, 6, 3, 21, 0)):
        assert window.is_open(now, BERLIN)
        assert window.next_opening(now, BERLIN) == now


# --- daylight saving -------------------------------------------------------------------------


def test_same_local_hours_on_both_sides_of_spring_forward() -> None:
    window = SendWindow.parse("09:00-20:00")
    saturday_evening = utc(2024, 3, 30, 19, 0)  # 20:00 CET: closed
    assert not window.is_open(saturday_evening, BERLIN)
    # Sunday 09:00 is CEST (UTC+2) after the night's change.
    assert window.next_opening(saturday_evening, BERLIN) == utc(2024, 3, 31, 7, 0)
    assert window.is_open(utc(2024, 3, 31, 7, 0), BERLIN)
    assert not window.is_open(utc(2024, 3, 31, 6, 59), BERLIN)
    assert not window.is_open(utc(2024, 3, 31, 18, 0), BERLIN)  # 20:00 CEST


def test_same_local_hours_on_both_sides_of_fall_back() -> None:
    window = SendWindow.parse("09:00-20:00")
    assert window.next_opening(utc(2024, 10, 26, 18, 0), BERLIN) == utc(2024, 10, 27, 8, 0)
    assert window.is_open(utc(2024, 10, 27, 18, 59), BERLIN)  # 19:59 CET
    assert not window.is_open(utc(2024, 10, 27, 19, 0), BERLIN)  # 20:00 CET


def test_a_start_in_the_skipped_hour_opens_when_the_clocks_jump() -> None:
    window = SendWindow.parse("02:30-05:00")
    midnight = utc(2024, 3, 30, 23, 0)  # 00:00 CET
    assert window.next_opening(midnight, BERLIN) == utc(2024, 3, 31, 1, 0)  # 03:00 CEST
    assert not window.is_open(utc(2024, 3, 31, 0, 59, 59), BERLIN)  # 01:59:59 CET
    assert window.is_open(utc(2024, 3, 31, 1, 0), BERLIN)


def test_a_window_inside_the_skipped_hour_waits_for_the_next_day() -> None:
    window = SendWindow.parse("02:00-02:30")
    before = utc(2024, 3, 30, 23, 0)
    assert window.next_opening(before, BERLIN) == utc(2024, 4, 1, 0, 0)  # 02:00 CEST, Monday


def test_the_repeated_hour_does_not_reopen_a_closed_window() -> None:
    window = SendWindow.parse("20:00-02:30")
    assert window.is_open(utc(2024, 10, 27, 0, 29), BERLIN)  # 02:29 CEST
    assert not window.is_open(utc(2024, 10, 27, 0, 30), BERLIN)  # 02:30 CEST: closed
    second_two_fifteen = utc(2024, 10, 27, 1, 15)  # 02:15 CET, the hour repeated
    assert not window.is_open(second_two_fifteen, BERLIN)
    assert window.next_opening(second_two_fifteen, BERLIN) == utc(2024, 10, 27, 19, 0)


def test_a_start_in_the_repeated_hour_opens_at_its_first_occurrence() -> None:
    window = SendWindow.parse("02:30-05:00")
    assert window.next_opening(utc(2024, 10, 26, 22, 0), BERLIN) == utc(2024, 10, 27, 0, 30)
    assert window.is_open(utc(2024, 10, 27, 1, 45), BERLIN)  # 02:45 CET, still inside


def test_overnight_window_across_spring_forward_is_an_hour_shorter() -> None:
    window = SendWindow.parse("22:00-06:00")
    opens = window.next_opening(utc(2024, 3, 30, 12, 0), BERLIN)
    assert opens == utc(2024, 3, 30, 21, 0)  # 22:00 CET
    assert window.is_open(utc(2024, 3, 31, 3, 59), BERLIN)  # 05:59 CEST
    assert not window.is_open(utc(2024, 3, 31, 4, 0), BERLIN)  # 06:00 CEST


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2024, 6, 3, 10, 0), utc(2024, 6, 3, 8, 0)),
        (datetime(2024, 3, 31, 2, 30), utc(2024, 3, 31, 1, 0)),  # skipped: the jump
        (datetime(2024, 10, 27, 2, 30), utc(2024, 10, 27, 0, 30)),  # repeated: the first
    ],
)
def test_first_instant(local: datetime, expected: datetime) -> None:
    assert first_instant(local, BERLIN) == expected
