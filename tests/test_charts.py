"""Charts drawn by pygal, as our pages embed them: no script, no style, escaped labels; labels
under the columns level, turned or thinned out so that none touch; the legend in the columns
its names fit."""

from __future__ import annotations

import re
import sys

from directory.charts import bar_chart


def test_pygal_leaves_no_finder_behind() -> None:
    """Its map-plugin finder has no find_spec: every failed optional import would warn."""
    assert all(hasattr(finder, "find_spec") for finder in sys.meta_path)


def test_a_chart_is_a_named_image_with_nothing_the_policy_refuses() -> None:
    svg = bar_chart("x", "Made <per> month", ["2025-01", "2025-02"], [("A & B", [1, 4])])
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
    assert '<title id="chart-x-title">Made &lt;per&gt; month</title>' in svg
    assert 'role="img"' in svg and 'aria-labelledby="chart-x-title"' in svg
    for refused in ("<script", "<style", "style=", "<!--", "<?xml"):
        assert refused not in svg
    assert re.findall(r' id="([^"]+)"', svg) == ["chart-x", "chart-x-title"]  # unique per page
    # Whole numbers on a count's axis, up to the tallest stack.
    counts = bar_chart(
        "c", "t", ["a", "b"], [("A", [3, 4]), ("B", [4, 0])], stacked=True, counts=True
    )
    assert re.findall(r'<text x="-5" y="[\d.]+" class="[^"]*">([^<]+)</text>', counts) == [
        "0", "2", "4", "6", "8",
    ]  # fmt: skip


def test_no_data_draws_a_message() -> None:
    for counts in (False, True):
        svg = bar_chart("e", "Empty", ["2025-01"], [], counts=counts)
        assert "Nothing to show yet" in svg


def months(count: int) -> list[str]:
    return [f"{2024 + n // 12}-{n % 12 + 1:02d}" for n in range(count)]


def x_labels(svg: str) -> list[tuple[str, bool]]:
    """The labels under the columns, each with whether it is turned."""
    axis = re.search(r'<g class="axis x[^"]*">(.*?)<g class="series', svg, re.S)
    assert axis, "no x axis"
    found = re.findall(r"<text ([^>]*)>([^<]+)</text>", axis[1])
    return [(text, "rotate(45 " in attributes) for attributes, text in found]


def test_labels_that_fit_their_columns_stay_level() -> None:
    svg = bar_chart("q", "A quarter", months(3), [("A", [1, 2, 3])])
    assert x_labels(svg) == [("2024-01", False), ("2024-02", False), ("2024-03", False)]
    assert "rotate(" not in svg


def test_twelve_months_are_turned_and_all_named() -> None:
    svg = bar_chart("y", "A year", months(12), [("A", list(range(12)))], counts=True)
    assert x_labels(svg) == [(month, True) for month in months(12)]
    for refused in ("<script", "<style", "style=", "<!--", "<?xml"):
        assert refused not in svg  # still what the content policy allows


def test_two_or_three_years_name_every_other_month() -> None:
    for count, every in ((24, 2), (36, 2)):
        svg = bar_chart("m", "Months", months(count), [("A", [1] * count)])
        assert x_labels(svg) == [(month, True) for month in months(count)[::every]], count


def test_a_horizontal_chart_keeps_its_names_level() -> None:
    names = [f"Person number {n}" for n in range(12)]
    svg = bar_chart("h", "People", names, [("A", list(range(12)))], horizontal=True)
    assert "rotate(" not in svg
    assert all(name in svg for name in names)


def test_the_legend_has_the_columns_its_longest_name_fits() -> None:
    def columns(names: list[str]) -> set[str]:
        svg = bar_chart("l", "t", ["a", "b"], [(name, [1, 2]) for name in names])
        _, legend = svg.split('class="legends">')
        return set(re.findall(r'<rect x="([\d.]+)"', legend))

    assert len(columns(["Housing", "Food", "Health care", "Legal help"])) == 3
    assert len(columns(["Referred, waiting to hear", "Provider said yes", "Done: got help"])) == 2
    assert len(columns(["A name far too long to share a line with any other", "B"])) == 1
