"""The building blocks every PDF of the app shares: the embedded DejaVu Sans fonts, the house
colours and paragraph styles, A4 with the house margins, paragraphs that escape their text,
ruled tables, "Page n of N" footers, and, for the documents that are published (summaries,
annual reports), a cover page and a contents list. Pure reportlab: nothing here reads the
database."""

import datetime
import os
from xml.sax.saxutils import escape

from django.utils.formats import date_format
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
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

# DejaVu Sans (Vera's letters, with the whole of Latin Extended-A): Welsh needs ŵ and ŷ, which
# Vera, inside reportlab, does not have. Kept in visits/fonts/ (LICENSE-DejaVu.txt), embedded in
# every PDF as a subset of the glyphs used.
_FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
pdfmetrics.registerFont(TTFont(FONT, os.path.join(_FONT_DIR, "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(_FONT_DIR, "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)

INK = colors.HexColor("#0b0c0c")
BRAND = colors.HexColor("#1d3557")
GREY = colors.HexColor("#f3f2f1")
CONCERN = colors.HexColor("#fbe9eb")
MUTED = colors.HexColor("#505a5f")

BODY = ParagraphStyle(
    "body", fontName=FONT, fontSize=9.5, leading=12.5, textColor=INK, alignment=TA_LEFT
)
PARAGRAPH = ParagraphStyle("paragraph", parent=BODY, fontSize=10, leading=14, spaceAfter=6)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11)
TITLE = ParagraphStyle(
    "title",
    parent=BODY,
    fontName=FONT_BOLD,
    fontSize=18,
    leading=22,
    textColor=BRAND,
    spaceAfter=4,
)
H2 = ParagraphStyle(
    "h2",
    parent=BODY,
    fontName=FONT_BOLD,
    fontSize=12.5,
    leading=16,
    textColor=BRAND,
    spaceBefore=10,
    spaceAfter=4,
    keepWithNext=1,
)
# A section of a published document: no keepWithNext (which would carry a long table, whole,
# to the next page and leave this one nearly empty); `section()` asks for room instead.
SECTION = ParagraphStyle("section", parent=H2, keepWithNext=0)
H3 = ParagraphStyle(
    "h3", parent=BODY, fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
)
# The cover: white on the brand colour (see _draw_cover).
COVER_TITLE = ParagraphStyle(
    "cover-title", parent=TITLE, fontSize=28, leading=34, textColor=colors.white, spaceAfter=10
)
COVER_TEXT = ParagraphStyle(
    "cover-text", parent=BODY, fontSize=14, leading=19, textColor=colors.white, spaceAfter=6
)
CONTENTS_ENTRY = ParagraphStyle("contents-entry", parent=BODY, fontSize=11, leading=18)
# Not "title": the contents list is not an entry of the PDF's outline.
CONTENTS_TITLE = ParagraphStyle("contents-title", parent=TITLE)

LEFT_MARGIN = RIGHT_MARGIN = 18 * mm
TOP_MARGIN, BOTTOM_MARGIN = 16 * mm, 18 * mm
PAGE_WIDTH = A4[0] - LEFT_MARGIN - RIGHT_MARGIN


def p(text, style=BODY) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def table(rows, widths, header=False, concern_rows=()) -> Table:
    """A ruled table; `header` repeats the first row on every page it runs to."""
    # splitInRow lets a row taller than a page (a very long note) continue on the next.
    flowable = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b1b4b6")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), GREY))
    style += [("BACKGROUND", (0, r), (-1, r), CONCERN) for r in concern_rows]
    flowable.setStyle(TableStyle(style))
    return flowable


class NumberedCanvas(pdf_canvas.Canvas):
    """Writes "Page n of N" once the number of pages is known (not on a cover page)."""

    footer_text = ""
    has_cover = False

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
            if not (self.has_cover and self._pageNumber == 1):
                self.setFont(FONT, 8)
                self.setFillColor(MUTED)
                self.drawString(LEFT_MARGIN, 10 * mm, self.footer_text)
                self.drawRightString(
                    A4[0] - RIGHT_MARGIN,
                    10 * mm,
                    gettext("Page %(n)d of %(total)d") % {"n": self._pageNumber, "total": total},
                )
            super().showPage()
        super().save()


def numbered_canvas(footer: str, *, cover: bool = False) -> type[NumberedCanvas]:
    """A canvas class for one document's footer."""
    return type("Canvas", (NumberedCanvas,), {"footer_text": footer, "has_cover": cover})


def document(out, *, title: str, author: str, subject: str, template=SimpleDocTemplate):
    """An A4 document with the house margins, DejaVu Sans from the first glyph, and its metadata."""
    return template(
        out,
        pagesize=A4,
        leftMargin=LEFT_MARGIN,
        rightMargin=RIGHT_MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        initialFontName=FONT,
        title=title,
        author=author,
        subject=subject,
        creator="icv",
    )


# --- Published documents: a cover, a contents list, sections --------------------------------------


class PublishedDocument(BaseDocTemplate):
    """A cover page on the brand colour, then plain pages. The cover's title (and any TITLE) is
    an entry of the PDF's outline, every H2 one under it (so readers can jump between sections)
    and a line of the contents; build with `multiBuild`, which runs until the contents' page
    numbers settle."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", showBoundary=0
        )
        cover_frame = Frame(
            self.leftMargin + 6 * mm,
            self.bottomMargin,
            self.width - 12 * mm,
            self.height - 40 * mm,
            id="cover",
        )
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[cover_frame], onPage=_draw_cover),
                PageTemplate(id="page", frames=[frame]),
            ]
        )

    # A document of many parts (every scheme in one) lists its parts' titles in the contents,
    # and not each part's sections (the outline has them).
    titles_in_contents = False

    def beforeDocument(self):
        self._under_a_title = False  # multiBuild builds the document more than once

    def afterFlowable(self, flowable):
        if not isinstance(flowable, Paragraph):
            return
        name = flowable.style.name
        if name in ("h2", "section", "title", "cover-title"):
            text = flowable.getPlainText()
            key = f"h{self.seq.nextf('heading')}"
            self.canv.bookmarkPage(key)
            level = 1 if name in ("h2", "section") else 0
            self.canv.addOutlineEntry(text, key, level=level)
            if name == "title" and self.titles_in_contents:
                self._under_a_title = True
                self.notify("TOCEntry", (0, text, self.page, key))
            elif level and not self._under_a_title:
                self.notify("TOCEntry", (0, text, self.page, key))


def _draw_cover(canv, doc) -> None:
    canv.saveState()
    canv.setFillColor(BRAND)
    canv.rect(0, A4[1] * 0.38, A4[0], A4[1] * 0.62, stroke=0, fill=1)
    canv.restoreState()


def cover_and_contents(*, kicker: str, title: str, lines: list[str], note: str = "") -> list:
    """The cover (kicker above the title, then `lines`, `note` at the foot) and the contents
    list on the page after it; the sections follow."""
    contents = TableOfContents(dotsMinLevel=0)
    contents.levelStyles = [CONTENTS_ENTRY]
    return [
        NextPageTemplate("page"),
        Spacer(1, 45 * mm),
        p(kicker, COVER_TEXT),
        p(title, COVER_TITLE),
        *[p(line, COVER_TEXT) for line in lines],
        Spacer(1, 95 * mm),
        *([p(note, BODY)] if note else []),
        PageBreak(),
        p(gettext("Contents"), CONTENTS_TITLE),
        Spacer(1, 4 * mm),
        contents,
        PageBreak(),
    ]


def section(title: str) -> list:
    """A section's heading, on a new page unless a few lines of what follows fit under it."""
    return [CondPageBreak(45 * mm), p(title, SECTION)]


def long_date(day: datetime.date) -> str:
    """The day as people read it, in the language in use ("5 March 2026", "5 Mawrth 2026")."""
    return date_format(day, "j F Y")
