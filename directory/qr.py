"""QR codes as inline SVG (segno), rendered on the server: no script, works when printed."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, *, title: str) -> Markup:
    """An SVG QR code for `url`, sized by its viewBox so CSS sets the printed size."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=2, title=title, svgclass="qr", lineclass=None)
    return Markup(svg)  # noqa: S704 - segno escapes the title; the rest is generated markup
