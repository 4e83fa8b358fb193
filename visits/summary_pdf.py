"""The PCC's publishable summary as a PDF: a Summary in, bytes out.

No custody numbers and no volunteer names appear in it; fonts are embedded; the document has a
title and an outline of its headings. Charts are drawn with reportlab's graphics."""

import io

from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from visits.pdf import BODY, BRAND, H2, H3, PAGE_WIDTH, TITLE, _NumberedCanvas, _p, _table, document
from visits.summaries import Summary

# Drawings start from Helvetica, which is not embedded; every chart here uses Vera.
shapes.STATE_DEFAULTS["fontName"] = "Vera"
# reportlab checks every attribute set on a chart's shapes; ours are fixed and tested, and the
# checks took half the time of a national report.
rl_config.shapeChecking = 0


class _Doc(SimpleDocTemplate):
    """Adds every heading to the PDF's outline, so readers can jump between sections."""

    def afterFlowable(self, flowable):
        if isinstance(flowable, Paragraph) and flowable.style.name in ("h2", "title"):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            level = 0 if flowable.style.name == "title" else 1
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)


def _chart(title: str, values: list[tuple[str, int]]) -> list:
    values = [(label, n) for label, n in values] or [("None", 0)]
    # Never taller than half a page, however many rows.
    height = min(24 + 18 * len(values), 380)
    drawing = Drawing(PAGE_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 10
    chart.width, chart.height = PAGE_WIDTH - 190, height - 20
    chart.data = [[n for _, n in reversed(values)]]
    chart.categoryAxis.categoryNames = [label[:30] for label, _ in reversed(values)]
    chart.categoryAxis.labels.fontName = "Vera"
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = "Vera"
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BRAND
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = "Vera"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 8
    drawing.add(chart)
    table = _table([[label, str(n)] for label, n in values], [PAGE_WIDTH * 0.8, PAGE_WIDTH * 0.2])
    return [KeepTogether([_p(title, H3), drawing]), table]


def _number(value) -> str:
    return "–" if value is None else str(value)


def _document(out, title: str, author: str) -> "_Doc":
    return document(
        out,
        title=title,
        author=author,
        template=_Doc,
        subject="Independent custody visiting: summary for the Police and Crime Commissioner",
    )


def render_summary(summary: Summary) -> bytes:
    """One scheme's summary for a period, as the PCC publishes it."""
    out = io.BytesIO()
    title = f"Independent custody visiting: {summary.scheme.name}, {summary.period.label}"
    doc = _document(out, title, summary.scheme.name)
    flow = [
        Spacer(1, 50 * mm),
        _p("Independent custody visiting", TITLE),
        _p(summary.scheme.name, H2),
        _p(f"{summary.period_label}, compared with {summary.previous_label}", BODY),
        _p("Custody suites: " + ", ".join(summary.suite_names), BODY),
        PageBreak(),
        *_summary_flowables(summary),
    ]

    class Canvas(_NumberedCanvas):
        footer_text = f"{summary.scheme.name} · {summary.period.label}"

    doc.build(flow, canvasmaker=Canvas)
    return out.getvalue()


def render_national(summaries: list[Summary], label: str) -> bytes:
    """Every scheme's summary in one document, after a table of the schemes side by side."""
    out = io.BytesIO()
    doc = _document(out, f"Independent custody visiting in England and Wales, {label}", "icv")
    rows = [
        [_p(h) for h in ("Scheme", "Visits made", "Abandoned", "Visited", "Issues", "Open at end")]
    ]
    for summary in summaries:
        c = summary.current
        rows.append(
            [
                _p(summary.scheme.name),
                *(
                    str(v)
                    for v in (
                        c.visits_made,
                        c.visits_abandoned,
                        c.visited,
                        c.issues_raised,
                        c.issues_open_at_end,
                    )
                ),
            ]
        )
    flow = [
        Spacer(1, 50 * mm),
        _p("Independent custody visiting in England and Wales", TITLE),
        _p(label, H2),
        PageBreak(),
        _p("Schemes side by side", H2),
        _table(rows, [PAGE_WIDTH * 0.35] + [PAGE_WIDTH * 0.13] * 5, header=True),
    ]
    for summary in summaries:
        flow += [PageBreak(), _p(summary.scheme.name, TITLE), *_summary_flowables(summary)]

    class Canvas(_NumberedCanvas):
        footer_text = f"Independent custody visiting · {label}"

    doc.build(flow, canvasmaker=Canvas)
    return out.getvalue()


def _summary_flowables(summary: Summary) -> list:
    c = summary.current
    flow = [
        _p("In brief", H2),
        *[_p(f"• {line}") for line in summary.sentences()],
        _p("Key figures", H2),
        _table(
            [[_p("Figure"), _p(summary.period_label), _p(summary.previous_label)]]
            + [
                [_p(label), _number(now), _number(before)]
                for _key, label, now, before in summary.labelled()
            ],
            [PAGE_WIDTH * 0.6, PAGE_WIDTH * 0.2, PAGE_WIDTH * 0.2],
            header=True,
        ),
        _p("Checklist questions answered \u201cno\u201d", H2),
        _p(
            "Of the answers yes or no, the share that was no (%); the trend is the last eight "
            "quarters, oldest first."
        ),
        *(
            [
                _table(
                    [[_p(h) for h in ("Question", "No (%)", "Answered", "Before (%)", "Trend")]]
                    + [
                        [
                            _p(f"{q.text} ({q.checklist})"),
                            _number(q.rate),
                            str(q.answered),
                            _number(q.previous_rate),
                            _p(", ".join(_number(rate) for rate in q.trend)),
                        ]
                        for q in summary.question_rates
                    ],
                    [PAGE_WIDTH * 0.4]
                    + [PAGE_WIDTH * 0.1] * 2
                    + [PAGE_WIDTH * 0.12, PAGE_WIDTH * 0.28],
                    header=True,
                )
            ]
            if summary.question_rates
            else [_p("No checklist answers in the period.")]
        ),
        _p("By suite", H2),
        _table(
            [
                [
                    _p(h)
                    for h in (
                        "Suite",
                        "Visits made",
                        "Before",
                        "Abandoned",
                        "In custody",
                        "Visited",
                        "Issues",
                    )
                ]
            ]
            + [
                [
                    _p(r.name),
                    *(
                        str(v)
                        for v in (
                            r.visits_made,
                            r.previous_made,
                            r.visits_abandoned,
                            r.in_custody,
                            r.visited,
                            r.issues_raised,
                        )
                    ),
                ]
                for r in summary.suites
            ],
            [PAGE_WIDTH * 0.22] + [PAGE_WIDTH * 0.13] * 6,
            header=True,
        ),
        _p("Charts", H2),
        *[flowable for title, values in summary.charts() for flowable in _chart(title, values)],
        _p("Admission delays", H2),
        *([_p(f"{reason}: {n}") for reason, n in c.delay_reasons] or [_p("No delays.")]),
        _p("Issues referred to the force, and its responses", H2),
    ]
    for issue in summary.issues_with_responses:
        flow.append(_p(f"{issue['category']} at {issue['suite']} ({issue['status'].lower()})", H3))
        flow.append(_p(issue["description"]))
        if issue["outcome"]:
            flow.append(_p(f"Outcome: {issue['outcome']}"))
    if not summary.issues_with_responses:
        flow.append(_p("No issues were referred to the force in the period."))
    flow.append(_p("Good practice", H2))
    flow += [_p(f"• {text}") for text in summary.good_practice] or [_p("None recorded.")]

    return flow
