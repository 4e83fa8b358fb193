"""PDF rendering with reportlab: a VisitReport in, bytes out. A4, page numbers, text that wraps.

Fonts are the DejaVu-derived Vera family that ships inside reportlab, embedded in every PDF.
"""

import io
import os
from xml.sax.saxutils import escape

import reportlab
from django.utils import timezone
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from visits.reports import VisitReport

_FONT_DIR = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
pdfmetrics.registerFont(TTFont("Vera", os.path.join(_FONT_DIR, "Vera.ttf")))
pdfmetrics.registerFont(TTFont("Vera-Bold", os.path.join(_FONT_DIR, "VeraBd.ttf")))
pdfmetrics.registerFontFamily("Vera", normal="Vera", bold="Vera-Bold")

INK = colors.HexColor("#0b0c0c")
BRAND = colors.HexColor("#1d3557")
GREY = colors.HexColor("#f3f2f1")
CONCERN = colors.HexColor("#fbe9eb")

BODY = ParagraphStyle(
    "body", fontName="Vera", fontSize=9.5, leading=12.5, textColor=INK, alignment=TA_LEFT
)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11)
TITLE = ParagraphStyle(
    "title",
    parent=BODY,
    fontName="Vera-Bold",
    fontSize=18,
    leading=22,
    textColor=BRAND,
    spaceAfter=4,
)
H2 = ParagraphStyle(
    "h2",
    parent=BODY,
    fontName="Vera-Bold",
    fontSize=12.5,
    leading=16,
    textColor=BRAND,
    spaceBefore=10,
    spaceAfter=4,
    keepWithNext=1,
)
H3 = ParagraphStyle(
    "h3", parent=BODY, fontName="Vera-Bold", fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
)

PAGE_WIDTH = A4[0] - 36 * mm


def _p(text, style=BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows, widths, header=False, concern_rows=()) -> Table:
    # splitInRow lets a row taller than a page (a very long note) continue on the next.
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), "Vera"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b1b4b6")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), GREY))
    style += [("BACKGROUND", (0, r), (-1, r), CONCERN) for r in concern_rows]
    table.setStyle(TableStyle(style))
    return table


def _fmt(moment) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y, %H:%M") if moment else "Not recorded"


class _NumberedCanvas(pdf_canvas.Canvas):
    """Writes "Page n of N" once the number of pages is known."""

    footer_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Vera", 8)
            self.setFillColor(colors.HexColor("#505a5f"))
            self.drawString(18 * mm, 10 * mm, self.footer_text)
            self.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _answer_rows(sections) -> list:
    flow = []
    for section in sections:
        rows = [[_p("Question", SMALL), _p("Answer", SMALL), _p("Note", SMALL)]]
        concerns = []
        for q in section.questions:
            if q.concern:
                concerns.append(len(rows))
            rows.append([_p(q.text, SMALL), _p(q.answer, SMALL), _p(q.note, SMALL)])
        flow += [
            _p(section.title, H3),
            _table(
                rows,
                [PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.15, PAGE_WIDTH * 0.35],
                header=True,
                concern_rows=concerns,
            ),
        ]
    return flow


# A photo fills the text width at most, and half a page's height, so a caption fits beneath.
PHOTO_MAX_HEIGHT = 110 * mm


def _photo_flow(report: VisitReport) -> list:
    """Each photo of the suite's conditions scaled to fit, its caption below."""
    flow = [_p(gettext("Photos of conditions (%(count)d)") % {"count": len(report.photos)}, H2)]
    if not report.photos:
        return flow + [_p(gettext("No photos were taken."))]
    for photo in report.photos:
        caption = gettext("Photo %(number)d") % {"number": photo.number}
        if photo.caption:
            caption += ": " + photo.caption
        caption += " " + gettext("(added by %(by)s, %(at)s)") % {
            "by": photo.taken_by,
            "at": _fmt(photo.taken_at),
        }
        scale = min(PAGE_WIDTH / photo.width, PHOTO_MAX_HEIGHT / photo.height)
        try:
            with photo.image.open("rb") as f:
                picture = Image(
                    io.BytesIO(f.read()), width=photo.width * scale, height=photo.height * scale
                )
        except (FileNotFoundError, ValueError):
            picture = _p(gettext("(Photo file missing.)"))
        flow.append(KeepTogether([picture, _p(caption, SMALL), Spacer(1, 6)]))
    return flow


def document(out, *, title: str, author: str, subject: str, template=SimpleDocTemplate):
    """An A4 document with the house margins, Vera from the first glyph, and its metadata."""
    return template(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        initialFontName="Vera",
        title=title,
        author=author,
        subject=subject,
        creator="icv",
    )


def render_visit_report(report: VisitReport) -> bytes:
    """The report as the custody lead and the OPCC receive it."""
    visit = report.visit
    out = io.BytesIO()
    title = f"Custody visit report: {visit.suite.name}, {visit.visit_date:%d %B %Y}"
    doc = document(
        out, title=title, author=visit.scheme.name, subject="Independent custody visit report"
    )
    flow = [_p("Custody visit report", TITLE), _p(f"{visit.suite.name} · {visit.scheme.name}", H3)]

    delay = "None"
    if visit.delay_minutes:
        delay = (
            f"{visit.delay_minutes} minutes. Reason given: {visit.delay_reason}. "
            f"Authorised by {visit.delay_authorised_by}."
        )
    outcome = visit.get_outcome_display() or "Not recorded"
    if visit.abandoned_reason:
        outcome += f": {visit.abandoned_reason}"
    status = "Submitted " + _fmt(visit.submitted_at) if visit.submitted_at else "Draft"
    facts = [
        ("Date", f"{visit.visit_date:%A %d %B %Y}"),
        ("Visitors", ", ".join(name for _id, name, _at in report.visitors)),
        ("Arrived", _fmt(visit.arrived_at)),
        ("Admitted", _fmt(visit.admitted_at)),
        ("Delay to admission", delay),
        ("Departed", _fmt(visit.departed_at)),
        ("Outcome", outcome),
        ("Custody sergeant", visit.sergeant_name or "Not recorded"),
        ("Report", status),
    ]
    if visit.involves_tact:
        facts.append(("Terrorism Act", "A TACT detainee was held: restricted report."))
    flow.append(
        _table([[_p(k, H3), _p(v)] for k, v in facts], [PAGE_WIDTH * 0.3, PAGE_WIDTH * 0.7])
    )

    flow.append(_p("Numbers at the time of the visit", H2))
    half = (len(report.numbers) + 1) // 2
    left, right = report.numbers[:half], report.numbers[half:]
    rows = []
    for i in range(half):
        row = [_p(left[i][0]), _p(str(left[i][1]))]
        row += [_p(right[i][0]), _p(str(right[i][1]))] if i < len(right) else ["", ""]
        rows.append(row)
    w = PAGE_WIDTH / 2
    flow.append(_table(rows, [w * 0.8, w * 0.2, w * 0.8, w * 0.2]))
    if report.not_visited:
        flow.append(_p("Not visited, by reason", H3))
        flow.append(
            _table(
                [[_p(label), _p(str(n))] for label, n in report.not_visited],
                [PAGE_WIDTH * 0.8, PAGE_WIDTH * 0.2],
            )
        )
        if visit.nv_access_denied_reason:
            flow.append(_p(f"Access denied because: {visit.nv_access_denied_reason}"))

    flow.append(_p(f"Detainees seen ({report.detainees_seen})", H2))
    if not report.detainee_answers_shown:
        flow.append(_p(gettext("Who was seen and what they said is not shown to your role.")))
    elif not report.detainees:
        flow.append(_p("No detainee was seen on this visit."))
    for d in report.detainees:
        flow.append(
            KeepTogether(
                [
                    _p(f"Detainee {d.custody_number}", H3),
                    _p("; ".join(d.flags) or "No flags recorded.", SMALL),
                ]
            )
        )
        flow += _answer_rows(d.sections)

    flow.append(_p("Suite checks", H2))
    flow += _answer_rows(report.suite_sections)

    flow += _photo_flow(report)

    flow.append(_p("Issues raised", H2))
    if not report.issues:
        flow.append(_p("No issues were raised."))
    else:
        rows = [[_p("Category", SMALL), _p("Issue", SMALL), _p("Status", SMALL)]]
        for issue in report.issues:
            text = issue.description
            if issue.custody_number:
                text = f"{issue.custody_number}: {text}"
            if issue.recheck_next_visit:
                text += " (re-check on the next visit)"
            rows.append(
                [
                    _p(f"{issue.category_label} ({issue.severity_label.lower()})", SMALL),
                    _p(text, SMALL),
                    _p(issue.status_label, SMALL),
                ]
            )
        flow.append(
            _table(rows, [PAGE_WIDTH * 0.25, PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.25], header=True)
        )

    flow.append(_p("Good practice seen", H2))
    flow.append(_p(visit.good_practice or "None recorded."))

    flow.append(_p("Sign-off", H2))
    flow.append(_p(f"Custody sergeant: {visit.sergeant_name or 'Not recorded'}"))
    flow.append(_p(f"Sergeant's comments: {visit.sergeant_comments or 'None'}"))
    if visit.sergeant_signature:
        try:
            with visit.sergeant_signature.open("rb") as f:
                flow.append(
                    Image(io.BytesIO(f.read()), width=60 * mm, height=20 * mm, kind="proportional")
                )
        except FileNotFoundError:
            flow.append(_p("(Signature file missing.)"))
    elif visit.sergeant_signed_at:
        flow.append(
            _p(f"Signed by confirmation on the visitors' phone, {_fmt(visit.sergeant_signed_at)}.")
        )
    for _id, name, confirmed in report.visitors:
        flow.append(
            _p(f"{name}: " + (f"confirmed {_fmt(confirmed)}" if confirmed else "not confirmed"))
        )

    if report.amendments:
        flow.append(_p(gettext("Amendments"), H2))
        for a in report.amendments:
            flow.append(
                _p(
                    gettext("%(at)s, %(by)s. Reason: %(reason)s")
                    % {"at": _fmt(a.at), "by": a.by, "reason": a.reason},
                    H3,
                )
            )
            rows = [[_p(gettext("Changed"), SMALL), _p(gettext("Before"), SMALL)]]
            rows[0].append(_p(gettext("After"), SMALL))
            rows += [
                [_p(c.label, SMALL), _p(c.before, SMALL), _p(c.after, SMALL)] for c in a.changes
            ]
            flow.append(
                _table(rows, [PAGE_WIDTH * 0.4, PAGE_WIDTH * 0.3, PAGE_WIDTH * 0.3], header=True)
            )
    flow.append(Spacer(1, 6))

    class Canvas(_NumberedCanvas):
        footer_text = f"{visit.suite.name}, {visit.visit_date:%d %b %Y} · OFFICIAL-SENSITIVE"

    doc.build(flow, canvasmaker=Canvas)
    return out.getvalue()
