"""An ID card as a one-page PDF the size of a bank card (ISO/IEC 7810 ID-1, 85.6 × 54 mm), to
print on card stock or a card printer. Pure reportlab: a `CardFace` in, bytes out.

The QR code is drawn as vector squares from segno's matrix, so it prints sharp at any
resolution and is read by a phone's camera from the card."""

import io

import segno
from django.utils.formats import date_format
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas

from visits.pdf_layout import BRAND, FONT, FONT_BOLD, INK, MUTED  # (registers them)
from visits.services.cards import CardFace

CARD_WIDTH = 85.6 * mm
CARD_HEIGHT = 54 * mm
MARGIN = 3.5 * mm
BAND = 10 * mm  # the scheme's band along the top
PHOTO_WIDTH = 24 * mm
PHOTO_HEIGHT = PHOTO_WIDTH * 4 / 3  # clean_portrait's 3:4
QR_SIDE = 21 * mm  # with its quiet zone; a phone reads it at arm's length
QR_QUIET = 2  # modules of white around the code (the card's white margin adds to it)


def _fit(text: str, font: str, size: float, width: float, smallest: float = 5.5) -> float:
    """The largest font size, at most `size`, at which `text` fits `width`."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` broken into lines that fit `width` (a long scheme name takes two)."""
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and stringWidth(trial, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def _draw_qr(canv, url: str, x: float, y: float, side: float) -> None:
    qr = segno.make(url, error="m")
    rows = list(qr.matrix_iter(border=QR_QUIET))
    module = side / len(rows)
    canv.setFillColor(colors.white)
    canv.rect(x, y, side, side, stroke=0, fill=1)
    canv.setFillColor(colors.black)
    for r, row in enumerate(rows):
        top = y + side - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # One rectangle per run of dark modules, slightly overlapping the next row so
                # no hairline of white shows between rows when printed.
                canv.rect(
                    x + start * module, top, (c - start) * module, module * 1.02, stroke=0, fill=1
                )
            else:
                c += 1


def render_id_card(face: CardFace) -> bytes:
    out = io.BytesIO()
    canv = pdf_canvas.Canvas(out, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=1)
    title = gettext("ID card %(number)s") % {"number": face.number}
    canv.setTitle(title)
    canv.setAuthor(face.scheme)
    canv.setSubject(gettext("Independent Custody Visitor"))

    # The scheme's band, its name in white on one or two lines.
    canv.setFillColor(BRAND)
    canv.rect(0, CARD_HEIGHT - BAND, CARD_WIDTH, BAND, stroke=0, fill=1)
    canv.setFillColor(colors.white)
    band_width = CARD_WIDTH - 2 * MARGIN
    size = 8
    lines = _lines(face.scheme, FONT_BOLD, size, band_width)
    while len(lines) > 2 and size > 5.5:
        size -= 0.25
        lines = _lines(face.scheme, FONT_BOLD, size, band_width)
    leading = size * 1.2
    first = CARD_HEIGHT - BAND / 2 + (len(lines) - 1) * leading / 2 - size * 0.35
    for i, line in enumerate(lines[:2]):
        canv.setFont(FONT_BOLD, size)
        canv.drawString(MARGIN, first - i * leading, line)

    # The photo, or an empty frame where it goes.
    photo_x = MARGIN
    photo_y = (CARD_HEIGHT - BAND - PHOTO_HEIGHT) / 2  # centred below the band
    if face.photo_jpeg:
        canv.drawImage(
            ImageReader(io.BytesIO(face.photo_jpeg)),
            photo_x,
            photo_y,
            PHOTO_WIDTH,
            PHOTO_HEIGHT,
            preserveAspectRatio=True,
            anchor="c",
        )
    canv.setStrokeColor(MUTED)
    canv.setLineWidth(0.3)
    canv.rect(photo_x, photo_y, PHOTO_WIDTH, PHOTO_HEIGHT, stroke=1, fill=0)

    # The QR code of the check page, bottom right, captioned.
    # Its own quiet zone stands in for most of the card's margin there.
    qr_x = CARD_WIDTH - QR_SIDE - 1.5 * mm
    qr_y = 1.5 * mm
    _draw_qr(canv, face.check_url, qr_x, qr_y, QR_SIDE)
    canv.setFillColor(MUTED)
    canv.setFont(FONT, 5)
    caption = gettext("Scan to check")
    canv.drawCentredString(qr_x + QR_SIDE / 2, qr_y + QR_SIDE + 0.6 * mm, caption)

    # The words: who, what, which card, until when.
    text_x = photo_x + PHOTO_WIDTH + 3 * mm
    text_width = qr_x - text_x - 1 * mm
    top = CARD_HEIGHT - BAND - 5 * mm
    canv.setFillColor(BRAND)
    role = gettext("Independent Custody Visitor")
    role_size = _fit(role, FONT_BOLD, 6.5, CARD_WIDTH - text_x - MARGIN)
    canv.setFont(FONT_BOLD, role_size)
    canv.drawString(text_x, top, role)

    canv.setFillColor(INK)
    name_lines = _lines(face.name, FONT_BOLD, 9, text_width)
    name_size = 9 if len(name_lines) <= 2 else 7
    name_lines = _lines(face.name, FONT_BOLD, name_size, text_width)[:2]
    name_size = min(_fit(line, FONT_BOLD, name_size, text_width) for line in name_lines)
    y = top - 5 * mm
    for line in name_lines:
        canv.setFont(FONT_BOLD, name_size)
        canv.drawString(text_x, y, line)
        y -= name_size * 1.2

    y -= 2.5 * mm
    for label, value in (
        (gettext("Card number"), face.number),
        (gettext("Expires"), date_format(face.expires_on, "j F Y")),
    ):
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 5.5)
        canv.drawString(text_x, y, label)
        canv.setFillColor(INK)
        canv.setFont(FONT_BOLD, _fit(value, FONT_BOLD, 7.5, text_width))
        canv.drawString(text_x, y - 3 * mm, value)
        y -= 7 * mm

    canv.showPage()
    canv.save()
    return out.getvalue()
