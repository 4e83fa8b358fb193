"""Uploads keep their pixels and nothing else: no JPEG comment, EXIF (GPS, maker notes), XMP,
IPTC, ICC profile or PNG text reaches a stored photo, thumbnail, signature or response image.

Each check reads the stored bytes twice: through Pillow (`info`, EXIF) and raw (the JPEG's
segments or the PNG's chunks, and the marker strings planted in the upload)."""

import base64
import io
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from tests.conftest import persona
from tests.factories import make_reported_issue, make_visit
from visits.images import clean_photo, clean_signature
from visits.models import Attachment, IssueEvent
from visits.services import issues as issue_service

COMMENT = b"SECRET-COMMENT-Cell-3-detainee"
MAKE = "SECRET-MAKE-PhoneMaker"
MAKER_NOTE = b"SECRET-MAKERNOTE-serial-0042"
GPS_PLACE = "SECRET-GPS-Norwich"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description dc:creator="SECRET-XMP-Vera-Holt" xmlns:dc="http://purl.org/'
    b'dc/elements/1.1/"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
IPTC_TEXT = b"SECRET-IPTC-Caption"
PNG_TEXT = "SECRET-PNG-tEXt"
PNG_ZTEXT = "SECRET-PNG-zTXt"
PNG_ITEXT = "SECRET-PNG-iTXt"
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

# Strings no stored image may hold: what was planted, and the signatures of each kind of block.
FORBIDDEN = [
    COMMENT,
    MAKE.encode(),
    MAKER_NOTE,
    GPS_PLACE.encode(),
    b"SECRET-XMP",
    IPTC_TEXT,
    PNG_TEXT.encode(),
    PNG_ZTEXT.encode(),
    PNG_ITEXT.encode(),
    b"SECRET",
    b"Exif\x00",
    b"http://ns.adobe.com/xap/1.0/",
    b"xmpmeta",
    b"Photoshop 3.0",
    b"8BIM",
    b"ICC_PROFILE",
    b"acsp",  # every ICC profile carries it
]
# What Pillow reports for a bare JPEG: its JFIF header, nothing more.
JFIF_ONLY = {"jfif", "jfif_version", "jfif_unit", "jfif_density"}
# Segments of a bare baseline or progressive JPEG: APP0 (JFIF), quantisation and Huffman tables,
# the frame, restart interval and the scan. Never APP1 to APP15 (EXIF, XMP, ICC, IPTC) or COM.
JPEG_SEGMENTS = {0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA}


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE  # Make
    exif[0x0110] = "Model X"
    exif.get_ifd(0x8769)[0x927C] = MAKER_NOTE  # MakerNote, in the EXIF IFD
    exif.get_ifd(0x8825).update(  # GPS
        {
            1: "N",
            2: (52.0, 37.0, 48.0),
            3: "E",
            4: (1.0, 17.0, 36.0),
            0x1B: GPS_PLACE,  # GPSProcessingMethod
        }
    )
    return exif


def iptc_app13() -> bytes:
    """An APP13 segment as Photoshop writes it: an IPTC caption inside an 8BIM resource."""
    record = b"\x1c\x02\x78" + struct.pack(">H", len(IPTC_TEXT)) + IPTC_TEXT  # 2:120 caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record))
    resource += record + (b"\x00" if len(record) % 2 else b"")
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_everything(size=(900, 600), colour=(200, 60, 40), icc=SRGB_ICC) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(
        out,
        format="JPEG",
        quality=90,
        exif=exif_with_gps(),
        comment=COMMENT,
        xmp=XMP,
        icc_profile=icc,
        extra=iptc_app13(),
    )
    return out.getvalue()


def png_with_everything(size=(900, 600), mode="RGBA", icc=SRGB_ICC) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PNG_TEXT)  # tEXt
    info.add_text("Author", PNG_ZTEXT, zip=True)  # zTXt
    info.add_itxt("Description", PNG_ITEXT, lang="en", tkey="Beschreibung")  # iTXt
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())  # XMP, as iTXt
    image = Image.new(mode, size, (30, 90, 160, 255) if mode == "RGBA" else (30, 90, 160))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=icc)
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, first bytes of its payload) for each segment before the scan's data."""
    assert data[:2] == b"\xff\xd8"
    position, segments = 2, []
    while True:
        assert data[position] == 0xFF
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segments.append((marker, data[position + 4 : position + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return segments
        position += 2 + length


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kinds.append(data[position + 4 : position + 8])
        position += 12 + length
    return kinds


def assert_bare_jpeg(data: bytes) -> None:
    for text in FORBIDDEN:
        assert text not in data, text
    segments = jpeg_segments(data)
    assert {marker for marker, _ in segments} <= JPEG_SEGMENTS, [hex(m) for m, _ in segments]
    assert all(payload.startswith(b"JFIF\x00") for marker, payload in segments if marker == 0xE0)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert set(image.info) <= JFIF_ONLY, image.info.keys()
    assert not image.getexif()
    assert data.rfind(b"\xff\xd9") == len(data) - 2  # nothing after the image


def assert_bare_png(data: bytes) -> None:
    for text in FORBIDDEN:
        assert text not in data, text
    assert set(png_chunks(data)) <= {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.info == {} and image.text == {}
    assert not image.getexif()


def assert_planted(data: bytes) -> None:
    """The upload really carries what the checks look for (else they would prove nothing)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.format == "JPEG":
        assert {"comment", "exif", "xmp", "photoshop"} <= set(image.info)
        assert image.getexif().get_ifd(0x8825)[2] == (52.0, 37.0, 48.0)  # latitude
        assert image.getexif().get_ifd(0x8769)[0x927C] == MAKER_NOTE
        for marker in (COMMENT, MAKE.encode(), MAKER_NOTE, GPS_PLACE.encode(), IPTC_TEXT):
            assert marker in data
    else:
        assert {"Comment", "Author", "Description", "xmp", "exif"} <= set(image.info)
        assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunks(data))
        assert PNG_TEXT.encode() in data and PNG_ITEXT.encode() in data
    assert b"SECRET-XMP" in data


@pytest.fixture
def draft(db):
    return make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")


def upload_photo(client, visit, data: bytes, name: str, content_type: str) -> Attachment:
    client.force_login(persona("visitor"))
    response = client.post(
        reverse("visit-photo-upload", args=[visit.uuid]),
        {"photo": SimpleUploadedFile(name, data, content_type), "caption": "Cell 3"},
    )
    assert response.status_code == 302
    return Attachment.objects.get(visit=visit)


def stored_and_served(client, visit, photo: Attachment) -> dict[str, bytes]:
    with photo.image.open("rb") as image, photo.thumbnail.open("rb") as thumbnail:
        stored = {"photo": image.read(), "thumbnail": thumbnail.read()}
    for name, url in (("served photo", "visit-photo"), ("served thumbnail", "visit-photo-thumb")):
        response = client.get(reverse(url, args=[visit.uuid, photo.pk]))
        assert response.status_code == 200
        stored[name] = b"".join(response.streaming_content)
    return stored


@pytest.mark.parametrize(
    ("kind", "data", "content_type"),
    [
        ("jpeg", jpeg_with_everything(), "image/jpeg"),
        ("jpeg-without-profile", jpeg_with_everything(icc=None), "image/jpeg"),
        ("png", png_with_everything(), "image/png"),
        ("png-rgb", png_with_everything(mode="RGB"), "image/png"),
    ],
)
def test_a_stored_photo_and_thumbnail_carry_no_metadata(
    client, draft, settings, tmp_path, kind, data, content_type
):
    settings.MEDIA_ROOT = tmp_path
    assert_planted(data)
    photo = upload_photo(client, draft, data, f"cell.{kind[:3]}", content_type)
    files = stored_and_served(client, draft, photo)
    for name, stored in files.items():
        try:
            assert_bare_jpeg(stored)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error
    assert max(Image.open(io.BytesIO(files["thumbnail"])).size) == 400


def test_the_comment_is_gone_from_the_photo_and_its_thumbnail(client, draft, settings, tmp_path):
    """Issue 16: the JPEG comment survived re-encoding (Pillow writes `info["comment"]`)."""
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 90, 90)).save(out, format="JPEG", comment=COMMENT)
    photo = upload_photo(client, draft, out.getvalue(), "cell.jpg", "image/jpeg")
    for name, stored in stored_and_served(client, draft, photo).items():
        assert COMMENT not in stored, name
        assert 0xFE not in {marker for marker, _ in jpeg_segments(stored)}, name  # no COM
        assert "comment" not in Image.open(io.BytesIO(stored)).info, name


def swapped_primaries_profile() -> bytes:
    """An RGB profile whose red and blue primaries are swapped: a pixel of pure red in an image
    carrying it is, in sRGB, pure blue. Pillow's sRGB profile with two tags' data exchanged."""
    icc = bytearray(SRGB_ICC)
    (count,) = struct.unpack(">I", icc[128:132])
    tags = {}
    for n in range(count):
        signature, offset, size = struct.unpack(">4sII", icc[132 + 12 * n : 144 + 12 * n])
        tags[signature] = (offset, size)
    (red, red_size), (blue, blue_size) = tags[b"rXYZ"], tags[b"bXYZ"]
    red_data, blue_data = bytes(icc[red : red + red_size]), bytes(icc[blue : blue + blue_size])
    icc[red : red + red_size], icc[blue : blue + blue_size] = blue_data, red_data
    return bytes(icc)


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_a_colour_profile_is_applied_then_dropped(client, draft, settings, tmp_path, kind):
    settings.MEDIA_ROOT = tmp_path
    profile = swapped_primaries_profile()
    if kind == "jpeg":
        data = jpeg_with_everything(colour=(255, 0, 0), icc=profile)
    else:
        data = png_with_everything(mode="RGBA", icc=profile)  # (30, 90, 160) in that profile
    photo = upload_photo(client, draft, data, f"cell.{kind}", f"image/{kind}")
    for name, stored in stored_and_served(client, draft, photo).items():
        assert_bare_jpeg(stored)
        red, green, blue = Image.open(io.BytesIO(stored)).convert("RGB").getpixel((10, 10))
        if kind == "jpeg":
            assert blue > 200 and red < 60, (name, red, green, blue)  # red became blue
        else:
            assert red > blue + 60, (name, red, green, blue)  # blue-ish became red-ish


@pytest.mark.parametrize("icc", [SRGB_ICC, None], ids=["with a profile", "without"])
def test_a_signature_carries_no_metadata(icc):
    data = png_with_everything(size=(300, 100), mode="RGBA", icc=icc)
    image = Image.open(io.BytesIO(data))
    image.load()
    drawn = image.copy()
    drawn.paste((0, 0, 0, 255), (10, 40, 290, 50))  # a stroke, so it is not blank
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PNG_TEXT)
    info.add_text("Author", PNG_ZTEXT, zip=True)
    info.add_itxt("Description", PNG_ITEXT, lang="en", tkey="Beschreibung")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    drawn.save(out, format="PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=icc)
    assert_planted(out.getvalue())
    signed = clean_signature("data:image/png;base64," + base64.b64encode(out.getvalue()).decode())
    assert_bare_png(signed)
    assert Image.open(io.BytesIO(signed)).size == (300, 100)


def test_a_response_image_from_the_force_carries_no_metadata(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = issue_service.act(actor=persona("manager"), issue=make_reported_issue(), action="refer")
    client.force_login(persona("force"))
    data = jpeg_with_everything(icc=None)
    assert_planted(data)
    upload = SimpleUploadedFile("repair.jpg", data, "image/jpeg")
    response = client.post(
        reverse("issue-act", args=[issue.pk]),
        {"action": "respond", "text": "Repaired.", "attachment": upload},
    )
    assert response.status_code == 302
    event = IssueEvent.objects.get(issue=issue, kind="responded")
    with event.attachment.open("rb") as stored:
        assert_bare_jpeg(stored.read())
    served = client.get(reverse("issue-file", args=[issue.pk, event.pk]))
    assert_bare_jpeg(b"".join(served.streaming_content))


def test_clean_photo_keeps_nothing_but_pixels():
    """The core function alone, for WebP too (the app takes JPEG, PNG and WebP)."""
    out = io.BytesIO()
    Image.new("RGB", (500, 400), (10, 120, 60)).save(
        out, format="WEBP", exif=exif_with_gps(), xmp=XMP, icc_profile=SRGB_ICC
    )
    webp = Image.open(io.BytesIO(out.getvalue()))
    assert {"exif", "xmp", "icc_profile"} <= set(webp.info)
    for data in (jpeg_with_everything(), png_with_everything(mode="RGB"), out.getvalue()):
        clean = clean_photo(data)
        assert_bare_jpeg(clean.data)
        assert_bare_jpeg(clean.thumbnail)
