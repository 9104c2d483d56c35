"""axe-core in the browser tests: inject the npm package's build into a page and fail with a
readable list when it finds WCAG 2.1 A/AA violations.

The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy
does not govern, so the page under test keeps its real, strict policy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Page

from directory.config import PROJECT_ROOT

AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci`")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; return its violations (axe's own JSON)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const found = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return {violations: found.violations};
        }""",
        tags or WCAG_21_AA,
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per rule: id, impact, what to fix, and the elements it found."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'no impact given'}): {v['help']}")
        lines.append(f"  {v['helpUrl']}")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page, tags: list[str] | None = None) -> None:
    """Fail when axe finds WCAG 2.1 A/AA violations on the page as it is now."""
    violations = axe_violations(page, tags)
    if violations:
        raise AssertionError(
            f"axe found {len(violations)} WCAG 2.1 A/AA rule(s) violated on {page.url}:\n"
            + describe(violations)
        )
