"""What storage/images.py does with Pillow: check, re-encode and make thumbnails."""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from statboard.storage.images import (
    DAMAGED,
    FORMATS,
    NOT_AN_IMAGE,
    THUMBNAIL_WIDTHS,
    Encoded,
    ImageRejected,
    ProcessedImage,
)


def process(data: bytes, max_pixels: int) -> ProcessedImage:
    """images.process_image, with Pillow."""
    # Pillow's own guard, as a second line behind the explicit check of _open_checked.
    Image.MAX_IMAGE_PIXELS = max_pixels
    image = _open_checked(data, max_pixels)
    image.info = _kept_info(image.info)
    if getattr(image, "n_frames", 1) > 1:
        # Animations keep every frame; thumbnails would freeze them, so none are made.
        return ProcessedImage(_encode_animation(image))
    fmt = image.format
    image = ImageOps.exif_transpose(image)
    image.info = _kept_info(image.info)
    widths = [width for width in THUMBNAIL_WIDTHS if width < image.width]
    if fmt != "WEBP":
        widths.append(image.width)  # a WebP at full size too: srcset then offers no other format
    return ProcessedImage(
        _encode(image, fmt), {width: _thumbnail(image, width) for width in widths}
    )


# What a re-encoded image keeps of what its file said: how to draw it (colour profile,
# transparency, animation timing), never who, where or with what (EXIF, XMP, comments).
KEPT_INFO = ("icc_profile", "transparency", "duration", "loop", "background", "dpi")


def _kept_info(info: dict) -> dict:
    return {name: info[name] for name in KEPT_INFO if name in info}


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    if not data:
        raise ImageRejected("The file is empty; choose an image file to upload.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            _check_pixels(image.width * image.height, image, max_pixels)
            frames = getattr(image, "n_frames", 1)
            _check_pixels(image.width * image.height * frames, image, max_pixels)
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_too_many_pixels(max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageRejected(NOT_AN_IMAGE) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise ImageRejected(DAMAGED) from None
    return image


def _check_pixels(pixels: int, image: Image.Image, max_pixels: int) -> None:
    if pixels > max_pixels:
        raise ImageRejected(_too_many_pixels(max_pixels, image))


def _too_many_pixels(max_pixels: int, image: Image.Image | None = None) -> str:
    size = f" ({image.width}×{image.height} pixels)" if image is not None else ""
    return (
        f"This image is too large{size}: this site takes at most "
        f"{max_pixels / 1e6:g} megapixels; scale it down and upload it again."
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _encode(image: Image.Image, fmt: str) -> Encoded:
    options = {"icc_profile": image.info.get("icc_profile")}
    if fmt == "JPEG":
        image = image if image.mode in ("L", "RGB") else image.convert("RGB")
        options.update(quality=90, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
        options["optimize"] = True
    elif fmt == "GIF":
        if image.mode not in ("P", "L"):
            image = image.convert("RGBA").quantize() if _has_alpha(image) else image.quantize()
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
    else:  # WEBP
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        options.update(quality=88)
    out = io.BytesIO()
    image.save(out, fmt, **{k: v for k, v in options.items() if v is not None})
    return Encoded(out.getvalue(), FORMATS[fmt][0], image.width, image.height)


def _thumbnail(image: Image.Image, width: int) -> Encoded:
    source = image.convert("RGBA" if _has_alpha(image) else "RGB")
    height = max(1, round(image.height * width / image.width))
    small = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    profile = image.info.get("icc_profile")
    small.save(out, "WEBP", quality=82, **({"icc_profile": profile} if profile else {}))
    return Encoded(out.getvalue(), "image/webp", width, height)


def _encode_animation(image: Image.Image) -> Encoded:
    fmt = image.format
    options = {"save_all": True, "loop": image.info.get("loop", 0)}
    if "duration" in image.info:
        options["duration"] = image.info["duration"]
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return Encoded(out.getvalue(), FORMATS[fmt][0], image.width, image.height)
