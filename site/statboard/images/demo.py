"""Pictures for the demo home page, painted with Pillow at seed time."""

import io

from statboard.extensions import db
from statboard.storage.uploads import store_image

# (sky top, sky bottom, sun, far hills, near hills)
PALETTES = {
    "dawn": ("#2b3a67", "#f6a87c", "#ffe8a3", "#5b4b8a", "#2d2a4a"),
    "noon": ("#3a8fd9", "#bfe6ff", "#fff6c2", "#5fa36b", "#2f6b3c"),
    "dusk": ("#14213d", "#e76f51", "#ffd166", "#6d3b47", "#2a1a24"),
    "frost": ("#6c8ebf", "#eef4fb", "#ffffff", "#9fb4cc", "#5a6f8c"),
}


def landscape(palette: str, size=(1200, 800)) -> bytes:
    """A calm landscape: a gradient sky, a sun and two rows of hills, as JPEG."""
    from PIL import Image, ImageDraw, ImageOps  # only the first run seeds the demo

    top, bottom, sun, far, near = PALETTES[palette]
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    image = ImageOps.colorize(gradient, top, bottom).convert("RGB")
    draw = ImageDraw.Draw(image)
    r = height // 9
    cx, cy = int(width * 0.68), int(height * 0.42)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=sun)
    for colour, base, step in ((far, 0.62, 7), (near, 0.78, 5)):
        points = [(0, height)]
        for i in range(step + 1):
            x = width * i / step
            bump = (0.06 if i % 2 else -0.04) * height
            points.append((x, height * base + bump))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _stored_id(palette: str) -> int:
    stored = store_image(landscape(palette), f"{palette}.jpg")
    db.session.flush()
    return stored.id


def demo_image() -> dict:
    return {
        "file_id": _stored_id("dusk"),
        "alt": "Hills at dusk under an orange sky with a low yellow sun",
        "caption": "Evening over the hills.",
    }


def demo_gallery() -> dict:
    items = [
        ("a1b2c3d4", "dawn", "Dawn", "Violet hills before sunrise."),
        ("b2c3d4e5", "noon", "Noon", "Green hills under a clear sky."),
        ("c3d4e5f6", "frost", "Frost", "A pale winter morning."),
    ]
    return {
        "title": "Seasons",
        "items": [
            {"id": item_id, "file_id": _stored_id(palette), "title": title, "caption": caption}
            for item_id, palette, title, caption in items
        ],
    }
