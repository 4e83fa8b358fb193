"""Bar charts drawn as inline SVG on the server: numbers in, shapes out. No chart library runs
in the browser; every chart on a page is followed by its table."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = 150
    bar_area: int = 170
    row: int = 26

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 40

    @property
    def description(self) -> str:
        return "; ".join(f"{b.label}: {b.value}" for b in self.bars)


def bar_chart(title: str, values: list[tuple[str, int]]) -> BarChart:
    """A horizontal bar chart, one row per value, scaled to the largest."""
    largest = max((v for _, v in values), default=0) or 1
    row = 26
    bars = [
        Bar(label, value, 8 + index * row, round(170 * value / largest, 1))
        for index, (label, value) in enumerate(values)
    ]
    return BarChart(title, bars, height=16 + row * len(values))
