"""The image and gallery block kinds, as the pages registry knows them."""

from statboard.images import demo, services
from statboard.images.forms import GalleryBlockForm, ImageBlockForm
from statboard.pages.blocks import BlockKind, register


def media_context(block) -> dict:
    """What the <img> tags of an image or gallery block need."""
    return {"media": services.media_for(block)}


def register_kinds() -> None:
    register(
        BlockKind(
            name="image",
            label="Image",
            template="blocks/image/_view.html",
            edit_template="blocks/image/_edit.html",
            form=ImageBlockForm,
            defaults=lambda: {"file_id": None, "alt": "", "caption": ""},
            demo=demo.demo_image,
            context=media_context,
            # The pages engine calls it before it deletes the block: files go after commit.
            on_delete=services.discard_block_files,
            styles=("css/images.css",),
            admin_scripts=("js/images.js",),
            describe=services.describe_image,
            cached_by=services.media_key,
        )
    )
    register(
        BlockKind(
            name="gallery",
            label="Gallery",
            template="blocks/gallery/_view.html",
            edit_template="blocks/gallery/_edit.html",
            panel_template="blocks/gallery/_panel.html",
            form=GalleryBlockForm,
            defaults=lambda: {"title": "", "items": []},
            demo=demo.demo_gallery,
            context=media_context,
            span=2,
            on_delete=services.discard_block_files,
            styles=("css/images.css",),
            admin_scripts=("js/images.js",),
            describe=services.describe_gallery,
            cached_by=services.media_key,
        )
    )
