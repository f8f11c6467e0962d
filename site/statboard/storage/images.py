"""Checking and re-encoding uploaded images with Pillow.

Only real JPEG, PNG, GIF and WebP files pass, whatever their name or Content-Type
says. The stored original is re-encoded: EXIF orientation applied, metadata
(EXIF, GPS, XMP, text chunks) left behind, colour profile and transparency kept.
Still images also get WebP thumbnails at the widths the templates ask for.

Pillow itself is loaded (storage/pillow.py) once an image is processed: a worker that
only serves stored pictures does without its 2 MB.
"""

from dataclasses import dataclass, field

# Pillow format -> (content type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = {content_type: ext for content_type, ext in FORMATS.values()}
# Widths of the WebP copies the templates offer in srcset (never wider than the
# original), so that a phone, a desk and a wall screen each fetch about what they show.
THUMBNAIL_WIDTHS = (480, 960, 1600)

NOT_AN_IMAGE = "This file is not an image this site can show; upload a JPEG, PNG, GIF or WebP file."
DAMAGED = "This image file is damaged or incomplete; export it again and upload the new file."


class ImageRejected(ValueError):
    """An upload that is not an image we keep; the message says what to do instead."""


@dataclass
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def ext(self) -> str:
        return EXTENSIONS[self.content_type]


@dataclass
class ProcessedImage:
    original: Encoded
    thumbnails: dict[int, Encoded] = field(default_factory=dict)


def process_image(data: bytes, max_pixels: int) -> ProcessedImage:
    """Check an upload and return the stored original plus its thumbnails."""
    from statboard.storage import pillow  # Pillow only once an image is processed

    return pillow.process(data, max_pixels)
