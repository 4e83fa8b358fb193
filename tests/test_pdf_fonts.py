"""Every PDF is set in DejaVu Sans, embedded: it has the Welsh letters (ŵ, ŷ and their capitals),
which Vera, the font inside reportlab, draws as empty boxes."""

import io

from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from visits.pdf_layout import FONT, FONT_BOLD, H3, document, p

WELSH = "Gŵyl Dewi yn Nhŷ'r Ŵyn, Ŷd"


def fonts_of(pdf: PdfReader) -> set[str]:
    names = set()
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"]  # the TrueType subset, embedded
            names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


def test_the_welsh_letters_are_drawn_from_the_embedded_font():
    for name in (FONT, FONT_BOLD):
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        assert all(glyphs.get(ord(letter)) for letter in "ŵŷŴŶâêîôûŵŷ")  # 0 is "no glyph"
    out = io.BytesIO()
    document(out, title="Prawf", author="icv", subject="Welsh letters").build(
        [p(WELSH, H3), p(WELSH)]
    )
    pdf = PdfReader(io.BytesIO(out.getvalue()))
    assert pdf.pages[0].extract_text().count(WELSH) == 2
    assert fonts_of(pdf) == {"DejaVuSans", "DejaVuSans-Bold"}  # embedded, and nothing else
