"""Keyboard-only use in the browser tests: Tab to an element, checking at every stop on the way
that the focus can be seen (an outline of 2 px or more, or a focus ring drawn as a shadow)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

FOCUS_VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "nothing has focus";
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const shown = outlined || style.boxShadow !== "none";
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    return shown ? "" : name + " has no visible focus outline (" + style.outline + ")";
}"""


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until `target` has focus, checking that every stop on the way shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        problem = page.evaluate(FOCUS_VISIBLE)
        assert not problem, problem
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} never got focus after {limit} Tabs")
