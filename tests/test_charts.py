"""Charts drawn by pygal, as our pages embed them: no script, no style, escaped labels."""

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
