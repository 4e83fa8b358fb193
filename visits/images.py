"""Uploaded images: re-encoded, stripped of all metadata, bounded in size. Bytes in, bytes out.

Anything that is not plainly a photo is refused with a message a volunteer can act on:
non-images, decompression bombs, huge dimensions, truncated files, and polyglots (an image
with another file appended after its end).

What is written is pixels and nothing else. Every photo, thumbnail, drawn signature and image
the force sends in answer to an issue is encoded from a fresh image that holds only the upload's
pixels (`_pixels_only`), so nothing Pillow read from the file (`image.info`) can reach the
encoder: no JPEG comment (COM), EXIF (GPS, camera, maker notes, orientation), XMP, IPTC or
other Photoshop (APP13) blocks, ICC profile, PNG text (tEXt, zTXt, iTXt), PNG eXIf, gamma,
chromaticity, sRGB intent or physical size, and no WebP EXIF or XMP. Orientation is applied to
the pixels first; an ICC profile is applied to them too (converted to sRGB, which is what a
file without a profile is read as), then dropped. A profile Pillow cannot read or apply is
dropped with the pixels left as they are. Gamma and chromaticity chunks are dropped without
conversion.
"""

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext
from PIL import Image, ImageCms, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is 8000 × 6000; beyond this, refuse
MAX_SIDE = 1600
THUMB_SIDE = 400
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


class ImageRejected(ValueError):
    """The upload is not an image we will keep. The message says why, for the person."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes  # JPEG, no metadata
    thumbnail: bytes
    width: int
    height: int


def _trailing_data(raw: bytes, image_format: str) -> bool:
    """True if bytes follow the image's end marker (a polyglot or a hidden payload)."""
    if image_format == "JPEG":
        end = raw.rfind(b"\xff\xd9")
        return end == -1 or len(raw[end + 2 :].strip(b"\x00")) > 0
    if image_format == "PNG":
        end = raw.rfind(b"IEND")
        return end == -1 or len(raw[end + 8 :]) > 0
    return False


def _open(raw: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(raw))
            probe.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(gettext("This image is far too large to process.")) from None
        except Exception:
            raise ImageRejected(
                gettext("This file is not a photo we can read. Upload a JPEG, PNG or WebP image.")
            ) from None
    if probe.format not in ACCEPTED_FORMATS:
        raise ImageRejected(gettext("Upload a JPEG, PNG or WebP image."))
    if probe.width * probe.height > MAX_PIXELS:
        raise ImageRejected(gettext("This image has too many pixels. Upload an ordinary photo."))
    if _trailing_data(raw, probe.format):
        raise ImageRejected(
            gettext(
                "This file has something hidden after the image. Take the photo again, "
                "or save it as a new file, and upload that."
            )
        )
    image = Image.open(io.BytesIO(raw))  # verify() leaves the image unusable; open again
    try:
        image.load()
    except Exception:
        raise ImageRejected(
            gettext("This image is damaged or incomplete. Upload it again.")
        ) from None
    return image


SRGB = ImageCms.createProfile("sRGB")
# The image mode that holds the pixels an ICC profile describes, by the profile's colour space.
PROFILE_MODES = {"RGB ": "RGB", "GRAY": "L", "CMYK": "CMYK"}


def _alpha(image: Image.Image) -> Image.Image | None:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        return image.convert("RGBA").getchannel("A")
    return None


def _in_srgb(image: Image.Image) -> Image.Image:
    """The image's pixels converted to sRGB if it carries an ICC profile, so that the colours
    stay right once the profile is dropped. Transparency is kept for the caller to flatten."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = PROFILE_MODES[source.profile.xcolor_space]
        alpha = _alpha(image)
        colour = image if image.mode == mode else image.convert(mode)
        converted = ImageCms.profileToProfile(colour, source, SRGB, outputMode="RGB")
    except (KeyError, OSError, ValueError, ImageCms.PyCMSError):
        return image  # a profile we cannot apply: the pixels as they are, the profile dropped
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding `image`'s pixels and nothing else: `image.info` (comments, EXIF,
    XMP, ICC, PNG text and whatever else Pillow read from the file) stays behind."""
    if image.mode not in ("RGB", "L"):
        raise ValueError(f"flatten a {image.mode} image to RGB or L first")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    return bare


def _encode(image: Image.Image, side: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh JPEG from pixels only: no EXIF, ICC profile, XMP or comment is passed or kept.
    _pixels_only(copy).save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def clean_photo(raw: bytes) -> CleanImage:
    """Re-encode an uploaded photo: orientation applied, metadata gone, at most 1600 px."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageRejected(gettext("This file is over 10 MB. Upload a smaller photo."))
    if not raw:
        raise ImageRejected(gettext("The file is empty."))
    image = _open(raw)
    image = ImageOps.exif_transpose(image)
    image = _in_srgb(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    data = _encode(image, MAX_SIDE, 85)
    width, height = Image.open(io.BytesIO(data)).size
    return CleanImage(data, _encode(image, THUMB_SIDE, 75), width, height)


def clean_signature(data_url: str) -> bytes:
    """A signature drawn on the screen (a PNG data URL) re-encoded as a small PNG."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ImageRejected(
            gettext("The signature could not be read. Ask the sergeant to sign again.")
        )
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected(
            gettext("The signature could not be read. Ask the sergeant to sign again.")
        ) from None
    if len(raw) > 1024 * 1024:
        raise ImageRejected(gettext("The signature is too large. Ask the sergeant to sign again."))
    image = _open(raw)
    if image.width > 2000 or image.height > 1000:
        raise ImageRejected(gettext("The signature is too large. Ask the sergeant to sign again."))
    image = _in_srgb(image)
    flat = Image.new("RGB", image.size, "white")
    rgba = image.convert("RGBA")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    if flat.convert("L").getextrema()[0] > 200:
        raise ImageRejected(gettext("The signature is blank. Ask the sergeant to sign in the box."))
    out = io.BytesIO()
    _pixels_only(flat.convert("L")).save(out, format="PNG", optimize=True)
    return out.getvalue()


# An ID card's photo (issue 22): a passport-style portrait, 3 wide by 4 high, big enough to
# print sharp at the card's 24 × 32 mm (about 500 dpi) and small enough to store by the
# thousand.
PORTRAIT_SIZE = (480, 640)


def clean_portrait(raw: bytes) -> bytes:
    """A visitor's photo for their ID card: the upload cleaned as `clean_photo` cleans a photo
    (orientation applied, colours in sRGB, every metadata block gone), then cropped about its
    centre to a 3:4 portrait and re-encoded as a JPEG of PORTRAIT_SIZE. Raises ImageRejected."""
    photo = clean_photo(raw)
    image = Image.open(io.BytesIO(photo.data))
    image = ImageOps.fit(
        image.convert("RGB"), PORTRAIT_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4)
    )
    out = io.BytesIO()
    _pixels_only(image).save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()
