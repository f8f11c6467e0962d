"""The fragments the image routes answer with."""

from flask import make_response, render_template

from statboard.htmx import is_htmx, vary_on_htmx
from statboard.images.services import media_for
from statboard.pages import blocks


def _response(html: str, status: int):
    return vary_on_htmx(make_response(html, status))


def render_block(block, status: int = 200, error: str | None = None, **context):
    """The block exactly as the page shows it: the pages engine's block wrapper around
    the kind's partial, with `error` (a sentence) shown in it."""
    return blocks.answer(block, status=status, error=error, **context)


def render_item(block, item: dict, form=None, status: int = 200):
    """One gallery item, shown or (with a form) being edited; a whole page without htmx."""
    shown = next((i for i in media_for(block)["items"] if i["id"] == item["id"]), item)
    context = {"block": block, "item": shown, "form": form, "editable": True}
    context["page_url"] = blocks.url(block)
    if form is None:
        return _response(render_template("blocks/gallery/_item.html", **context), status)
    if not is_htmx():
        return _response(render_template("blocks/gallery/edit_item.html", **context), status)
    response = _response(render_template("blocks/gallery/_item_edit.html", **context), status)
    if status == 422:
        # The form targets the whole block on success; a failed one replaces only itself.
        response.headers["HX-Retarget"] = f"#gallery-item-{block.id}-{item['id']}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response
