"""QR codes as inline SVG (segno), rendered on the server: no script, works when printed."""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=1024)
def qr_svg(url: str, *, title: str) -> Markup:
    """An SVG QR code for `url`, sized by its viewBox so CSS sets the printed size.

    Cached: a listing's code is the same on every sheet, and segno's search for the best mask
    costs milliseconds per code."""
    code = segno.make(url, error="m")
    # omitsize: a viewBox instead of a fixed width and height, so that CSS scales the whole
    # code (a fixed-size SVG drawn in a smaller box is cropped and no longer scans).
    svg = code.svg_inline(
        scale=4, border=2, title=title, svgclass="qr", lineclass=None, omitsize=True
    )
    return Markup(svg)  # noqa: S704 - segno escapes the title; the rest is generated markup
