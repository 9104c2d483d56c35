"""Reading queries.toml (mistakes named by query and field) and judging one listing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.search.relevance.labels import GOOD, MISS, PARTIAL, LabelError, load

HEAD = """
radius_mi = 25
now = 2026-04-15T19:30:00-04:00
[floors]
precision_at_3 = 0.5
"""
NEW_YORK = ZoneInfo("America/New_York")


def query_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "queries.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def meeting(**fields: Any) -> dict[str, Any]:
    """A stored record as the judge reads it: a Wednesday 19:00-20:00 AA meeting."""
    record: dict[str, Any] = {
        "category": "support_group",
        "fellowship": "Alcoholics Anonymous",
        "meeting_types": ["O", "W"],
        "languages": ["en", "es"],
        "populations": ["people_in_recovery", "women"],
        "hours": [{"day": 3, "opens": "19:00", "closes": "20:00"}],
        "timezone": "America/New_York",
        "status": "active",
        "geo": {"lat": 39.9566, "lng": -75.1899},
    }
    return record | fields


def test_a_query_is_read_with_its_defaults_and_url_parameters(tmp_path: Path) -> None:
    path = query_file(
        tmp_path,
        """
[[query]]
q = "AA"
near = "19104"
params = { in_progress = true, category = ["support_group"] }
good = [{ fellowship = "Alcoholics Anonymous" }]
tags = ["fellowship"]
""",
    )
    query_set = load(path)
    assert query_set.floors == {"precision_at_3": 0.5}
    (query,) = query_set.queries
    assert query.url_params() == [
        ("q", "AA"),
        ("near", "19104"),
        ("radius_mi", "25"),
        ("in_progress", "1"),
        ("category", "support_group"),
    ]
    search = query.search_query()
    assert search.in_progress and search.radius_mi == 25
    assert search.now == datetime(2026, 4, 15, 19, 30, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('good = [{ category = "shelter" }]', "query 1 ('AA'): good[0]: category: unknown value"),
        ('good = [{ colour = "red" }]', "query 1 ('AA'): good[0]: unknown condition 'colour'"),
        ("good = [{}]", "good[0]: an empty criterion would match every listing"),
        ("good = []", "query 1 ('AA'): good: give at least one criterion"),
        (
            'good = [{ category = "food" }]\nradius_mi = 500',
            "query 1 ('AA'): radius_mi: must be between 0.5 and 100 miles",
        ),
        (
            'good = [{ category = "food" }]\nparams = { sort = "best" }',
            "query 1 ('AA'): sort: unknown value 'best'",
        ),
        (
            'good = [{ category = "food", starts_between = ["noon", "13:00"] }]',
            'starts_between: give two times, as ["06:00", "11:59"]',
        ),
        ('good = [{ category = "food", on_days = [7] }]', "on_days: give days as numbers"),
        ('good = [{ category = "food" }]\nwhere = "here"', "unknown field 'where'"),
    ],
)
def test_a_mistake_is_named_by_query_and_field(tmp_path: Path, body: str, message: str) -> None:
    path = query_file(tmp_path, f'[[query]]\nq = "AA"\nnear = "19104"\n{body}\n')
    with pytest.raises(LabelError) as caught:
        load(path)
    assert message in str(caught.value)


def test_grades_good_partial_and_miss(tmp_path: Path) -> None:
    path = query_file(
        tmp_path,
        """
[[query]]
q = "women's AA meeting"
near = "19104"
good = [{ fellowship = "Alcoholics Anonymous", meeting_types = ["W"] }]
partial = [{ category = "support_group", languages = ["es"] }]
""",
    )
    (query,) = load(path).queries
    assert query.grade(meeting()) == GOOD
    assert query.grade(meeting(meeting_types=["O"])) == PARTIAL
    assert query.grade(meeting(meeting_types=["O"], languages=["en"])) == MISS
    assert query.grade(meeting(fellowship="Narcotics Anonymous", languages=[])) == MISS


@pytest.mark.parametrize(
    ("condition", "at", "met"),
    [
        ("in_progress = true", "19:30", True),
        ("in_progress = true", "20:00", False),  # it closes at 20:00
        ("in_progress = false", "18:00", True),
        ("starts_within_h = 1", "18:00", True),
        ("starts_within_h = 1", "17:59", False),
        ("starts_within_h = 1", "19:30", False),  # started already
        ('starts_between = ["18:00", "19:00"]', "08:00", True),
        ('starts_between = ["05:00", "11:59"]', "08:00", False),
        ("on_days = [3]", "08:00", True),
        ("on_days = [0, 6]", "08:00", False),
    ],
)
def test_clock_conditions_in_the_listings_own_timezone(
    tmp_path: Path, condition: str, at: str, met: bool
) -> None:
    # Wednesday 15 April 2026, `at` in New York; the listing meets 19:00-20:00 there.
    path = query_file(
        tmp_path,
        f"""
[[query]]
q = "meeting"
near = "19104"
now = 2026-04-15T{at}:00-04:00
good = [{{ category = "support_group", {condition} }}]
""",
    )
    (query,) = load(path).queries
    assert (query.grade(meeting()) == GOOD) is met


def test_the_listings_own_clock_decides(tmp_path: Path) -> None:
    path = query_file(
        tmp_path,
        """
[[query]]
q = "AA meeting now"
near = "19104"
now = 2026-04-15T20:15:00-04:00
good = [{ fellowship = "Alcoholics Anonymous", in_progress = true }]
""",
    )
    (query,) = load(path).queries
    # 20:15 in New York is 19:15 in Chicago: a 19:00 meeting there is under way.
    assert query.grade(meeting()) == MISS
    assert query.grade(meeting(timezone="America/Chicago")) == GOOD
    assert query.grade(meeting(timezone=None)) == MISS
