"""Charts drawn as inline SVG on the server: numbers in, shapes out. No chart library runs in
the browser. Each bar chart's figures are also given as a table behind a disclosure on the
page, and each sparkline carries its figures as its text alternative."""

import textwrap
from dataclasses import dataclass

from django.utils.translation import gettext

# The drawing's own units; the SVG scales to the width it is given (320 px phones included).
WIDTH = 320
LABEL_CHARS = 17  # a label longer than this wraps onto another line, never cut short
LINE = 15
BAR = 14
GAP = 7


CHAR = 8  # the width of a character of a label, roughly, in the drawing's units


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    lines: list[tuple[str, float]]  # the label's lines, each with its baseline
    y: float  # the bar's top
    width: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: float
    width: int = WIDTH
    label_x: float = 0  # where the labels end (they stand to the left of their bars)
    bar_x: float = 0

    @property
    def description(self) -> str:
        return "; ".join(f"{b.label}: {b.value}" for b in self.bars)


def bar_chart(title: str, values: list[tuple[str, int]]) -> BarChart:
    """A horizontal bar chart, one row per value, scaled to the largest, each label beside its
    bar: a long label wraps onto more lines within its column (never cut short), so a 320 px
    phone shows every word."""
    largest = max((v for _, v in values), default=0) or 1
    longest = max((len(str(label)) for label, _ in values), default=0)
    label_chars = max(min(longest, LABEL_CHARS), 1)
    label_width = round(label_chars * CHAR + 12)
    area = WIDTH - label_width - 40  # room to the right of the longest bar for its value
    bars, y = [], 4.0
    for label, value in values:
        lines = textwrap.wrap(str(label), label_chars) or [""]
        row = max(len(lines) * LINE, BAR)
        bars.append(
            Bar(
                str(label),
                value,
                [(text, y + 12 + n * LINE) for n, text in enumerate(lines)],
                y + (row - BAR) / 2,
                round(area * value / largest, 1),
            )
        )
        y += row + GAP
    return BarChart(title, bars, y, label_x=label_width - 6, bar_x=label_width)


@dataclass(frozen=True)
class Sparkline:
    """A small line of percentages over time, drawn in a box of WIDTH by HEIGHT; a period with
    nothing to count leaves a gap in the line."""

    segments: list[str]  # "x,y x,y ..." for each unbroken run of points
    dots: list[tuple[float, float]]
    description: str

    width: int = 88
    height: int = 24


def sparkline(labels: list[str], rates: list[int | None]) -> Sparkline:
    """The trend of `rates` (whole percentages, None where there was nothing to count), scaled
    to the highest, with a text alternative naming every value."""
    top = max((r for r in rates if r is not None), default=0) or 1
    step = 84 / max(len(rates) - 1, 1)
    segments, run, dots = [], [], []
    for index, rate in enumerate(rates):
        if rate is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        x, y = round(2 + index * step, 1), round(22 - 20 * rate / top, 1)
        run.append(f"{x},{y}")
        dots.append((x, y))
    if run:
        segments.append(" ".join(run))
    no_answers = gettext("no answers")
    values = ", ".join(
        f"{label} {no_answers if rate is None else f'{rate}%'}"
        for label, rate in zip(labels, rates, strict=True)
    )
    return Sparkline(
        segments,
        dots,
        gettext("Answered no, oldest quarter first: %(values)s") % {"values": values},
    )
