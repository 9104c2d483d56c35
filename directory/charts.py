"""Bar charts as inline SVG, drawn on the server by pygal: no script, and nothing our
Content-Security-Policy refuses.

pygal writes its own `<style>` and a `<script>` (tooltips) into the SVG, and an inline `style`
attribute on the tooltip; the page's policy allows neither inline script nor inline style, so
they are taken out here and the chart is styled by the site's stylesheet (`.report-chart` in
static/site.css). The chart is an image (`role="img"`) named by its `<title>`; the figures it
draws are in a table beside it, which is what a screen reader reads.

The SVG scales with the page, so labels that touch at one width touch at every width: the
labels under a bar chart's columns are laid out here so that they never do (turned when they
are wider than a column, and only every Nth shown when even turned ones would touch), and the
legend has as many columns as its longest name leaves room for.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal puts a finder on sys.meta_path for its map plugins (pygal.maps.*, unused here). It has
# no find_spec, so every import that reaches it (any optional import that fails) warns
# "ImportWarning: ... falling back to find_module()"; it is taken off again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

# The sizes pygal lays the chart out with; static/site.css draws the text at the same sizes.
FONT_SIZES = {"label": 13, "major_label": 13, "legend": 14, "value": 13, "no_data": 20}
STYLE = Style(
    font_family="system-ui, sans-serif",
    label_font_size=FONT_SIZES["label"],
    major_label_font_size=FONT_SIZES["major_label"],
    legend_font_size=FONT_SIZES["legend"],
    value_font_size=FONT_SIZES["value"],
    no_data_font_size=FONT_SIZES["no_data"],
)
WIDTH, HEIGHT = 600, 340
# The plot's width at most (the chart's less its margins and the value axis's labels), and a
# label's size: wide enough for system-ui's digits, and a line's height, at the label size.
PLOT_WIDTH = WIDTH - 110
LABEL_CHAR_WIDTH = 0.62 * FONT_SIZES["label"]
LABEL_LINE = 1.25 * FONT_SIZES["label"]
LABEL_GAP = 8
LABEL_ROTATION = 45
LEGEND_CHAR_WIDTH = 0.62 * FONT_SIZES["legend"]
LEGEND_BOX = 12 + 5  # pygal's colour box and the space after it
# Elements and attributes our policy would refuse (and log as errors in the browser).
_DROPPED_TAGS = frozenset({"script", "style"})
_DROPPED_CLASSES = frozenset({"tooltip-overlay", "titles"})  # a hover box; the visible title


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _sanitise(name: str) -> Callable[[Any], Any]:
    """An xml filter for pygal: drop script, style, comments, inline styles and the tooltip;
    give the chart a stable id and name it by its title."""

    def clean(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                classes = set(str(child.get("class", "")).split()) if _tag(child) else set()
                if not _tag(child) or _tag(child) in _DROPPED_TAGS or classes & _DROPPED_CLASSES:
                    parent.remove(child)
            parent.attrib.pop("style", None)
            parent.attrib.pop("id", None)  # pygal's ids repeat in every chart on a page
        root.set("id", f"chart-{name}")
        root.set("role", "img")
        root.set("aria-labelledby", f"chart-{name}-title")
        root.set("focusable", "false")
        for title in root:
            if _tag(title) == "title":
                title.set("id", f"chart-{name}-title")
                break
        return root

    return clean


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    unit: str = "",
    max_value: float | None = None,
    counts: bool = False,
) -> Markup:
    """A bar chart of `series` (name, one value per label) as inline SVG markup.

    `name` makes the SVG's ids (unique on the page); `title` is its accessible name. Values of
    None draw no bar (a month with nothing to measure). `counts`: whole numbers on the axis."""
    kind: Any
    if horizontal:
        kind = pygal.HorizontalStackedBar if stacked else pygal.HorizontalBar
    else:
        kind = pygal.StackedBar if stacked else pygal.Bar
    config: dict[str, Any] = {
        "title": title,
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT if not horizontal else max(160, 60 + 34 * len(labels)),
        "disable_xml_declaration": True,
        "js": [],
        "css": [],
        "classes": ["pygal-chart", "report-chart"],
        "show_legend": len(series) > 1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": _legend_columns([name for name, _ in series]),
        "truncate_legend": -1,
        "truncate_label": -1,
        **_x_labels_layout(labels, horizontal=horizontal),
        "print_values": False,
        "no_data_text": "Nothing to show yet",
        "value_formatter": lambda v: f"{v:g}{unit}",
        "min_scale": 2,
        "max_scale": 8,
        "range": (0, max_value) if max_value is not None else None,
        "include_x_axis": True,
    }
    if counts and series:  # (pygal fails on y_labels without a series)
        config["y_labels"] = _whole_ticks(series, stacked=stacked)
    chart = kind(**config)
    chart.add_xml_filter(_sanitise(name))
    chart.x_labels = list(labels)
    for label, values in series:
        chart.add(label, list(values))
    svg = chart.render()
    assert isinstance(svg, str)
    return Markup(svg)  # noqa: S704 - generated markup; pygal escapes our labels, and
    # script, style and inline style attributes are removed above


def _x_labels_layout(labels: Sequence[str], *, horizontal: bool) -> dict[str, Any]:
    """pygal's options for the labels under the columns: side by side when each fits its
    column; otherwise turned (parallel lines a column's width times sin(angle) apart), and when
    even turned ones would touch, every Nth label only (the table beside has every one)."""
    flat: dict[str, Any] = {"x_label_rotation": 0, "show_minor_x_labels": True}
    if horizontal or not labels:
        return flat
    column = PLOT_WIDTH / len(labels)
    widest = max(len(label) for label in labels) * LABEL_CHAR_WIDTH
    if widest + LABEL_GAP <= column:
        return flat
    apart = column * math.sin(math.radians(LABEL_ROTATION))
    every = math.ceil(LABEL_LINE / apart)
    turned: dict[str, Any] = {"x_label_rotation": LABEL_ROTATION, "show_minor_x_labels": every == 1}
    if every > 1:
        turned["x_labels_major_every"] = every
    return turned


def _legend_columns(names: Sequence[str]) -> int:
    """Up to three columns of legend under the chart, as many as its longest name fits."""
    widest = max((len(name) for name in names), default=0) * LEGEND_CHAR_WIDTH
    return max(1, min(3, int(PLOT_WIDTH // (widest + LEGEND_BOX + LABEL_GAP))))


def _whole_ticks(
    series: Sequence[tuple[str, Sequence[float | None]]], *, stacked: bool
) -> list[int]:
    """0 up to the tallest bar in at most about six whole steps (no "0.5 referrals")."""
    columns = list(zip(*(values for _, values in series), strict=True)) if series else []
    if stacked:
        heights = [sum(v or 0 for v in column) for column in columns]
    else:
        heights = [v or 0 for column in columns for v in column]
    top = math.ceil(max([1, *heights]))
    step = -(-top // 6)
    return list(range(0, top + step, step))
