"""Charts of the score distributions, as SVG (pygal): the same drawing on the results page
(as an image, since the page's Content-Security-Policy refuses inline styles) and inline in
the board's report PDF (WeasyPrint renders SVG)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from decimal import Decimal

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
BIN_WIDTH = 10  # scores out of 100, counted by tens: 0–10, 10–20, …, 90–100

_STYLE = Style(
    font_family="Tinos, serif",
    background="white",
    plot_background="white",
    foreground="#000",
    foreground_strong="#000",
    foreground_subtle="#666",
    colors=("#1f4e79",),
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
)


def bins(values: Sequence[Decimal | float]) -> list[int]:
    """How many scores fall in each tenth of 0–100; 100 itself counts in the last."""
    counts = [0] * (100 // BIN_WIDTH)
    for value in values:
        index = min(int(Decimal(value) // BIN_WIDTH), len(counts) - 1)
        counts[max(index, 0)] += 1
    return counts


def _count_labels(highest: int) -> list[int]:
    """Whole numbers of candidates on the vertical axis, at most about ten of them."""
    step = max(1, -(-highest // 10))
    return list(range(0, highest + step, step))


def distribution_svg(title: str, values: Sequence[Decimal | float]) -> str:
    """A histogram of scores out of 100 (candidates per band of 10 points), as an SVG
    element with no script and no external reference."""
    highest = max([*bins(values), 1])
    chart = pygal.Histogram(
        style=_STYLE,
        js=[],  # no script: the chart is a drawing
        show_legend=False,
        width=640,
        height=300,
        title=title,
        x_title="Điểm",
        y_title="Số thí sinh",
        disable_xml_declaration=True,
        print_values=True,
        # A bar says how many candidates it holds; an empty band says nothing.
        formatter=lambda bar: str(bar[0]) if bar and bar[0] else "",
        range=(0, highest),
        y_labels=_count_labels(highest),
        xrange=(0, 100),
        x_labels=list(range(0, 101, BIN_WIDTH)),
    )
    chart.add(
        "",
        [
            (count, start, start + BIN_WIDTH)
            for count, start in zip(bins(values), range(0, 100, BIN_WIDTH), strict=True)
        ],
    )
    # pygal adds a small script for its browser tooltips even without ``js``: not wanted here.
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def svg_data_uri(svg: str) -> str:
    """The SVG as an image address for a page (``img-src data:`` is allowed)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
