"""The PCC's summary and the scheme's annual report as PDFs laid out like published reports: a
cover, a contents list, then sections, each chart directly under the words that explain it, in
the order of Summary.charts() (the page's order). A Summary or an AnnualReportDocument in, bytes
out.

No custody numbers and no volunteer names appear in them; fonts are embedded; the document has a
title and an outline of its headings. Charts are drawn with reportlab's graphics."""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext
from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.platypus import KeepTogether, PageBreak, Spacer

from visits.pdf_layout import (
    BRAND,
    FONT,
    FONT_BOLD,
    H3,
    INK,
    PAGE_WIDTH,
    PARAGRAPH,
    SMALL,
    TITLE,
    PublishedDocument,
    cover_and_contents,
    document,
    long_date,
    numbered_canvas,
    p,
    section,
    table,
)
from visits.services.annual_reports import AnnualReportDocument, chart_in_words
from visits.summaries import SMALL_COUNT, SUITE_HEADINGS, Summary, shown

# Drawings start from Helvetica, which is not embedded; every chart here uses the house font.
shapes.STATE_DEFAULTS["fontName"] = FONT
# reportlab checks every attribute set on a chart's shapes; ours are fixed and tested, and the
# checks took half the time of a national report.
rl_config.shapeChecking = 0

ROW = 22  # points per bar: its label on one line, the bar under it
BAR_AREA = PAGE_WIDTH * 0.7  # long enough to compare, short enough to read across


def _bars(values: list[tuple[str, int]]) -> Drawing:
    """One bar per value, each under its whole label (nothing cut), its figure at its end."""
    largest = max((n for _, n in values), default=0) or 1
    drawing = Drawing(PAGE_WIDTH, ROW * len(values) + 2)
    for index, (label, n) in enumerate(values):
        top = ROW * (len(values) - index)
        width = BAR_AREA * n / largest
        drawing.add(String(0, top - 9, label, fontName=FONT, fontSize=8, fillColor=INK))
        if n:
            drawing.add(Rect(0, top - 20, width, 9, fillColor=BRAND, strokeColor=None))
        drawing.add(String(width + 4 if n else 0, top - 19, str(n), fontName=FONT_BOLD, fontSize=8))
    return drawing


def chart_block(title: str, values: list[tuple[str, int]], words: str = "") -> KeepTogether:
    """A chart's heading and explanation with the chart directly under them, kept on one page."""
    return KeepTogether(
        [
            p(title, H3),
            p(words or chart_in_words(values), SMALL),
            *([Spacer(1, 2), _bars(values)] if any(n for _, n in values) else []),
            Spacer(1, 6),
        ]
    )


def _number(value) -> str:
    return "–" if value is None else str(value)


def _today() -> str:
    return long_date(timezone.localdate())


# --- The quarterly (or yearly) summary ---------------------------------------------------------


def render_summary(summary: Summary) -> bytes:
    """One scheme's summary for a period, as the PCC publishes it: in the reader's language, or
    for a bilingual scheme (the Welsh Language Standards) in English then in Welsh."""
    if summary.scheme.bilingual:
        return render_bilingual_summary(summary)
    out = io.BytesIO()
    title = gettext("Independent custody visiting: %(scheme)s, %(period)s") % {
        "scheme": summary.scheme.shown_name,
        "period": summary.period.label,
    }
    doc = document(
        out,
        title=title,
        author=summary.scheme.shown_name,
        template=PublishedDocument,
        subject=gettext(
            "Independent custody visiting: summary for the Police and Crime Commissioner"
        ),
    )
    flow = [
        *cover_and_contents(
            kicker=summary.scheme.shown_name,
            title=gettext("Independent custody visiting"),
            lines=[
                gettext("Summary for the Police and Crime Commissioner"),
                summary.period_label,
                gettext("Compared with %(before)s") % {"before": summary.previous_label},
                gettext("Produced %(day)s") % {"day": _today()},
            ],
            note=gettext("Custody suites: %(suites)s")
            % {"suites": ", ".join(summary.shown_suite_names)},
        ),
        *_summary_flowables(summary),
    ]
    footer = f"{summary.scheme.shown_name} · {summary.period.label}"
    doc.multiBuild(flow, canvasmaker=numbered_canvas(footer, cover=True))
    return out.getvalue()


# The two languages of a bilingual scheme's publications, in the order they are printed.
PUBLISHED_LANGUAGES = ("en-gb", "cy")


def _summary_in(language: str, summary: Summary) -> dict:
    """The words and sections of `summary` in `language`."""
    with translation.override(language):
        return {
            "scheme": summary.scheme.localised("name"),
            "title": gettext("Independent custody visiting"),
            "heading": gettext("Summary for the Police and Crime Commissioner"),
            "lines": [
                summary.period_label,
                gettext("Compared with %(before)s") % {"before": summary.previous_label},
                gettext("Produced %(day)s") % {"day": _today()},
            ],
            "note": gettext("Custody suites: %(suites)s")
            % {"suites": ", ".join(summary.shown_suite_names)},
            "flow": _summary_flowables(summary),
        }


def render_bilingual_summary(summary: Summary) -> bytes:
    """A bilingual scheme's summary: one cover and contents with both languages' words, then
    the whole summary in English, then the whole of it in Welsh, each part made under its
    language (translation.override), its title in the contents and the outline."""

    class BilingualDocument(PublishedDocument):
        titles_in_contents = True

    parts = [_summary_in(language, summary) for language in PUBLISHED_LANGUAGES]
    english, welsh = parts
    out = io.BytesIO()
    doc = document(
        out,
        title=" / ".join(
            f"{part['title']}: {part['scheme']}, {part['lines'][0]}" for part in parts
        ),
        author=english["scheme"],
        template=BilingualDocument,
        subject=" / ".join(f"{part['title']}: {part['heading']}" for part in parts),
    )
    kickers = list(dict.fromkeys(part["scheme"] for part in parts))  # one if both are the same
    flow = cover_and_contents(
        kicker=" / ".join(kickers),
        title=english["title"],
        lines=[english["heading"], english["lines"][0], welsh["title"], welsh["heading"]],
        note=f"{english['note']}\n{welsh['note']}",
    )
    for index, part in enumerate(parts):
        if index:
            flow.append(PageBreak())
        flow += [
            p(f"{part['heading']}: {part['lines'][0]}", TITLE),
            *(p(line) for line in part["lines"][1:]),
            *part["flow"],
        ]
    footer = f"{english['scheme']} · {summary.period.label}"
    doc.multiBuild(flow, canvasmaker=numbered_canvas(footer, cover=True))
    return out.getvalue()


def render_national(summaries: list[Summary], label: str) -> bytes:
    """Every scheme's summary in one document, after a table of the schemes side by side."""
    out = io.BytesIO()

    class NationalDocument(PublishedDocument):
        titles_in_contents = True

    title = gettext("Independent custody visiting in England and Wales, %(period)s") % {
        "period": label
    }
    doc = document(
        out,
        title=title,
        author="icv",
        template=NationalDocument,
        subject=gettext(
            "Independent custody visiting: summary for the Police and Crime Commissioner"
        ),
    )
    headings = (
        gettext("Scheme"),
        *(
            str(SUITE_HEADINGS[key])
            for key in ("visits_made", "visits_abandoned", "visited", "issues_raised")
        ),
        gettext("Open at end"),
    )
    rows = [[p(h) for h in headings]]
    for summary in summaries:
        c = summary.current
        figures = (c.visits_made, c.visits_abandoned, c.visited, c.issues_raised)
        rows.append(
            [p(summary.scheme.shown_name), *(str(v) for v in (*figures, c.issues_open_at_end))]
        )
    flow = [
        *cover_and_contents(
            kicker=gettext("Independent custody visiting"),
            title=gettext("England and Wales"),
            lines=[label, gettext("Produced %(day)s") % {"day": _today()}],
        ),
        *section(gettext("Schemes side by side")),
        table(rows, [PAGE_WIDTH * 0.35] + [PAGE_WIDTH * 0.13] * 5, header=True),
    ]
    for summary in summaries:
        flow += [PageBreak(), p(summary.scheme.shown_name, TITLE), *_summary_flowables(summary)]
    footer = gettext("Independent custody visiting · %(period)s") % {"period": label}
    doc.multiBuild(flow, canvasmaker=numbered_canvas(footer, cover=True))
    return out.getvalue()


def _key_figures(rows, now_label: str, before_label: str) -> list:
    return [
        table(
            [[p(gettext("Figure")), p(now_label), p(before_label)]]
            + [
                [p(label), p(_number(now)), p(_number(before))] for _key, label, now, before in rows
            ],
            [PAGE_WIDTH * 0.6, PAGE_WIDTH * 0.2, PAGE_WIDTH * 0.2],
            header=True,
        )
    ]


def _summary_flowables(summary: Summary) -> list:
    c = summary.current
    flow = [
        *section(gettext("In brief")),
        *[p(f"• {line}") for line in summary.sentences()],
        *section(gettext("Key figures")),
        *_key_figures(summary.labelled(), summary.period_label, summary.previous_label),
        *section(gettext("Charts")),
        p(gettext("In the order of the summary page; each chart's figures are in its words.")),
        *[chart_block(title, values) for title, values in summary.charts()],
        *section(gettext("Checklist questions answered “no”")),
        p(
            gettext(
                "Of the answers yes or no, the share that was no (%); the trend is the last "
                "eight quarters, oldest first."
            )
        ),
    ]
    if summary.question_rates:
        headings = (
            gettext("Question"),
            gettext("No (%)"),
            gettext("Answered"),
            gettext("Before (%)"),
            gettext("Trend (%)"),
        )
        flow.append(
            table(
                [[p(h) for h in headings]]
                + [
                    [
                        p(f"{q.shown_text} ({shown(q.checklist)})"),
                        _number(q.rate),
                        str(q.answered),
                        _number(q.previous_rate),
                        p(", ".join(_number(rate) for rate in q.trend)),
                    ]
                    for q in summary.question_rates
                ],
                [PAGE_WIDTH * 0.4]
                + [PAGE_WIDTH * 0.1] * 2
                + [PAGE_WIDTH * 0.12, PAGE_WIDTH * 0.28],
                header=True,
            )
        )
    else:
        flow.append(p(gettext("No checklist answers in the period.")))
    flow += [
        *section(gettext("By suite")),
        table(
            [[p(h) for h in summary.suite_headings]]
            + [[p(r.shown_name), *(str(v) for v in r.figures)] for r in summary.suites],
            [PAGE_WIDTH * 0.22] + [PAGE_WIDTH * 0.13] * 6,
            header=True,
        ),
        *section(gettext("Admission delays")),
        *(
            [p(f"{shown(reason)}: {n}") for reason, n in c.delay_reasons]
            or [p(gettext("No delays."))]
        ),
        *section(gettext("Issues referred to the force, and its responses")),
    ]
    for issue in summary.issues_with_responses:
        flow.append(
            p(
                gettext("%(category)s at %(suite)s (%(status)s)")
                % {
                    "category": shown(issue["category"]),
                    "suite": issue["suite"],
                    "status": shown(issue["status"]).lower(),
                },
                H3,
            )
        )
        flow.append(p(issue["description"]))
        if issue["outcome"]:
            flow.append(p(gettext("Outcome: %(outcome)s") % {"outcome": issue["outcome"]}))
    if not summary.issues_with_responses:
        flow.append(p(gettext("No issues were referred to the force in the period.")))
    flow += section(gettext("Good practice"))
    flow += [p(f"• {text}") for text in summary.good_practice] or [p(gettext("None recorded."))]
    return flow


# --- The annual report ---------------------------------------------------------------------------


def render_annual_report(report: AnnualReportDocument) -> bytes:
    """The scheme's annual report as it is laid before the police and crime panel: the
    manager's sections, then the year's figures as they may be published."""
    out = io.BytesIO()
    scheme = report.scheme
    summary = report.summary
    doc = document(
        out,
        title=f"{scheme.shown_name}: {report.title}",
        author=scheme.shown_name,
        template=PublishedDocument,
        subject=gettext("Independent custody visiting: annual report"),
    )
    published = report.report.published_at
    if published:
        status = gettext("Published %(day)s") % {"day": long_date(timezone.localdate(published))}
    else:
        status = gettext("Draft, not published (%(day)s)") % {"day": _today()}
    flow = cover_and_contents(
        kicker=scheme.shown_name,
        title=report.title,
        lines=[
            gettext("Independent custody visiting in %(force)s") % {"force": scheme.force_name},
            gettext("1 January to 31 December %(year)d") % {"year": report.year}
            if summary.complete
            else summary.period_label,
            status,
        ],
    )
    for _name, heading, text in report.sections:
        flow += [*section(heading), *[p(para, PARAGRAPH) for para in _paragraphs(text)]]
    flow += [
        *section(gettext("The year in figures")),
        p(
            gettext(
                "Counted from the visits the scheme's visitors recorded in %(period)s. Counts "
                "from 1 to %(small)d are shown as “fewer than %(n)d”, so that nobody can be "
                "recognised."
            )
            % {"period": summary.period_label, "small": SMALL_COUNT - 1, "n": SMALL_COUNT}
        ),
        *_key_figures(report.figures, summary.period_label, summary.previous_label),
        *section(gettext("The figures in charts")),
    ]
    for chart in report.charts:
        flow.append(chart_block(chart.title, chart.values, words=chart.in_words))
    footer = f"{scheme.shown_name} · {report.title}"
    doc.multiBuild(flow, canvasmaker=numbered_canvas(footer, cover=True))
    return out.getvalue()


def _paragraphs(text: str) -> list[str]:
    """A blank line starts a new paragraph; a single line break stays a line break."""
    return [part.strip() for part in text.split("\n\n") if part.strip()]
