"""Hours written as text, as agencies write them in their sheets: what is read, and what is
refused rather than guessed."""

from __future__ import annotations

import pytest

from indexers.hours_text import HoursNotRead, parse_hours

WEEKDAYS = (1, 2, 3, 4, 5)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def spans(text: str) -> set[tuple[int, str, str]]:
    return {(int(str(h["day"])), str(h["opens"]), str(h["closes"])) for h in parse_hours(text)}


def week(days: tuple[int, ...], opens: str, closes: str) -> set[tuple[int, str, str]]:
    return {(day, opens, closes) for day in days}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 9-5", week(WEEKDAYS, "09:00", "17:00")),
        ("Mon-Fri 9am-5pm", week(WEEKDAYS, "09:00", "17:00")),
        ("M-F 8:30-4:30", week(WEEKDAYS, "08:30", "16:30")),
        ("Mon, Wed 10-2", week((1, 3), "10:00", "14:00")),
        ("Tue 1pm-7pm; Sat 9-12", {(2, "13:00", "19:00"), (6, "09:00", "12:00")}),
        ("24/7", week(EVERY_DAY, "00:00", "24:00")),
        ("24 hours", week(EVERY_DAY, "00:00", "24:00")),
        ("Open 24 hours", week(EVERY_DAY, "00:00", "24:00")),
        ("Mon-Fri 24 hours", week(WEEKDAYS, "00:00", "24:00")),
        ("Monday - Friday, 9:00 AM - 5:00 PM", week(WEEKDAYS, "09:00", "17:00")),
        ("Mon–Fri 9 a.m.–5 p.m.", week(WEEKDAYS, "09:00", "17:00")),
        ("Mon-Fri: 8:00am-4:30pm", week(WEEKDAYS, "08:00", "16:30")),
        ("mon-fri 9a-5p", week(WEEKDAYS, "09:00", "17:00")),
        ("Weekdays 0800-1630", week(WEEKDAYS, "08:00", "16:30")),
        ("Mon-Fri 09:00-17:00", week(WEEKDAYS, "09:00", "17:00")),
        ("Mon-Fri 13:00-21:00", week(WEEKDAYS, "13:00", "21:00")),
        ("Daily 7am-7pm", week(EVERY_DAY, "07:00", "19:00")),
        ("Every day 10-6", week(EVERY_DAY, "10:00", "18:00")),
        ("7 days a week 8-8", week(EVERY_DAY, "08:00", "20:00")),
        ("Weekends 10-2", week((6, 0), "10:00", "14:00")),
        ("Mon through Thu 9 to 5", week((1, 2, 3, 4), "09:00", "17:00")),
        ("Mon-Thu 9-5; Fri 9-1", week((1, 2, 3, 4), "09:00", "17:00") | {(5, "09:00", "13:00")}),
        (
            "Mon-Fri 9-5, Sat 10-2",
            week(WEEKDAYS, "09:00", "17:00") | {(6, "10:00", "14:00")},
        ),
        ("Mon-Fri 9-5 Sat 10-2", week(WEEKDAYS, "09:00", "17:00") | {(6, "10:00", "14:00")}),
        ("Mon-Fri 9-5, Sat-Sun closed", week(WEEKDAYS, "09:00", "17:00")),
        ("Mon-Sat 9-5, Wed closed", week((1, 2, 4, 5, 6), "09:00", "17:00")),
        ("Mon-Fri 9-12, 1-5", week(WEEKDAYS, "09:00", "12:00") | week(WEEKDAYS, "13:00", "17:00")),
        (
            "Mon-Fri 9-12 & 1-4:30",
            week(WEEKDAYS, "09:00", "12:00") | week(WEEKDAYS, "13:00", "16:30"),
        ),
        ("9am-5pm Mon-Fri", week(WEEKDAYS, "09:00", "17:00")),
        ("Tuesdays 6-8pm", {(2, "18:00", "20:00")}),
        ("Thursdays 6:30pm-8pm", {(4, "18:30", "20:00")}),
        ("Tue/Thu 1-4pm", week((2, 4), "13:00", "16:00")),
        ("M W F 9-12", week((1, 3, 5), "09:00", "12:00")),
        ("M, W, F 9-12", week((1, 3, 5), "09:00", "12:00")),
        ("Tu, Th 10-3", week((2, 4), "10:00", "15:00")),
        ("Sat noon-4", {(6, "12:00", "16:00")}),
        ("Sat 12-4", {(6, "12:00", "16:00")}),
        ("Fri 9pm-midnight", {(5, "21:00", "24:00")}),
        ("Daily 7pm-7am", week(EVERY_DAY, "19:00", "07:00")),
        ("Mon-Fri 5:30am-1:30pm", week(WEEKDAYS, "05:30", "13:30")),
        ("Mon-Fri 5:30-11am", week(WEEKDAYS, "05:30", "11:00")),
        ("Mon-Fri 7-7", week(WEEKDAYS, "07:00", "19:00")),
        ("Mon-Fri 7-11", week(WEEKDAYS, "07:00", "11:00")),
        ("Fri-Mon 10-4", week((5, 6, 0, 1), "10:00", "16:00")),
        ("Sun 1pm-5pm", {(0, "13:00", "17:00")}),
        ("Wed 6-9pm", {(3, "18:00", "21:00")}),
        ("  ", set()),
        ("", set()),
    ],
)
def test_hours_as_agencies_write_them(text: str, expected: set[tuple[int, str, str]]) -> None:
    assert spans(text) == expected


def test_hours_come_sorted_by_day_and_time() -> None:
    hours = parse_hours("Sat 9-12; Mon-Tue 1pm-3pm, 9am-11am")
    assert [(h["day"], h["opens"]) for h in hours] == [
        (1, "09:00"),
        (1, "13:00"),
        (2, "09:00"),
        (2, "13:00"),
        (6, "09:00"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mon-Fri 6-2", "say am or pm"),
        ("Thu 1-7", "say am or pm"),
        ("By appointment", "'by' is not a day or a time"),
        ("Call for hours", "not a day or a time"),
        ("9-5", "not the days"),
        ("Mon-Fri", "not the times"),
        ("Mon-Fri 9", "has no closing time"),
        ("Mon-Fri 9pm-5", "closes before it opens"),
        ("Mon-Fri 5pm-5pm", "same time"),
        ("Mon 25:00-26:00", "not a time"),
        ("Mon 13pm-2pm", "not a time"),
        ("Mon 9:75-5", "not a time"),
        ("Sundays closed", "when the place is closed"),
        ("T 9-5", "not a day or a time"),
        ("Mon-Fri 9-5 except holidays", "'except' is not a day or a time"),
        ("Mon-Fri 9-5 closed 12-1", "closed and gives times"),
        ("Mon - 9-5", "joins no two days or times"),
    ],
)
def test_what_cannot_be_read_for_certain_is_refused(text: str, reason: str) -> None:
    with pytest.raises(HoursNotRead) as caught:
        parse_hours(text)
    assert reason in str(caught.value)


def test_long_text_is_refused_without_being_read_and_quoted_short() -> None:
    with pytest.raises(HoursNotRead) as caught:
        parse_hours("Mon-Fri 9-5; " * 100)
    assert str(caught.value) == "it is 1,300 characters long; hours take at most 500"
    with pytest.raises(HoursNotRead) as caught:
        parse_hours("Mon-Fri 9-5 " + "x" * 400)
    assert str(caught.value) == f"the word '{'x' * 39}…' is not a day or a time"
