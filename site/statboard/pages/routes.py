"""Page views: show a page (or its kiosk view), change its settings, create and delete
pages, edit the navigation."""

from flask import (
    abort,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from statboard.auth.access import admin_required, require_login
from statboard.extensions import db
from statboard.htmx import is_htmx
from statboard.pages import addresses, bp, deletion, services
from statboard.pages.forms import PageForm
from statboard.pages.models import HOME
from statboard.pages.visitor_pages import conditional, visitor_pages

# The flash category of "Deleted · Undo": its message is the deleted page's id.
DELETED = "page-deleted"


def visible_page(slug, page=None):
    """The page, for whoever may see it: a private one needs a login (as its blocks do).
    `page`: the page holding the address, when the caller has read it already."""
    if page is None or page.deleted_at is not None:
        page = services.get_page_or_404(slug)
    if not page.is_public:
        require_login()
    return page


KIOSK_CYCLE = (3, 86_400)  # the seconds a cycling kiosk may stay on each page


@bp.get("/", defaults={"slug": "home"})
@bp.get("/<slug>")
def show(slug):
    return visitor_pages().serve(lambda kept_as: _show(slug, kept_as))


def _show(slug, kept_as):
    held = addresses.holder(slug)
    moved = addresses.alias_target(slug) if held is None else None
    if moved is not None:  # an earlier address: on to the current one, query and all
        if not moved.is_public:
            require_login()
        target = url_for("pages.show", slug=moved.slug)
        query = request.query_string.decode()
        moved_on = redirect(f"{target}?{query}" if query else target, 301)
        # Not kept by browsers: a page made later at this address must be reached.
        moved_on.headers["Cache-Control"] = "no-cache"
        return moved_on
    page = visible_page(slug, held)
    if request.args.get("kiosk", "0") in ("", "0"):
        return _conditional(page, kept_as, deleted=_deleted_notice())
    # The page alone for a wall screen: no navigation, no login links, no tools.
    return _conditional(page, kept_as, kiosk=_kiosk(page), can_edit=False)


def _conditional(page, kept_as, **context):
    """The page, its blocks joined from kept fragments (pages/fragments.py), with a
    strong ETag of its body, so that a browser that has it gets a 304 and no body; a
    visitor's is kept whole (visitor_pages.py). Pages differ by viewer: no shared cache
    keeps them (private), and a browser asks each time (no-cache). What a page carries
    per request is signed to the minute (the CSRF token, the live stream's token:
    forms.FlooredSigner), so the same content within a minute is the same body; live
    values (a host tile's readings, a counter) change it, as they should."""
    html = render_template("pages/page.html", page=page, fragment_cache=True, **context)
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    tag, _ = response.get_etag()
    visitor_pages().keep(kept_as, response, tag)
    # Compression (assets.py) sends the body as "<tag>:br" or "<tag>:gzip".
    return conditional(response, tag, None)


def _kiosk(page) -> dict:
    """The kiosk view's clock and cycle: with ?cycle=N, the page to show after N seconds
    (the next one in the navigation the viewer sees), in the kiosk view too."""
    cycle = request.args.get("cycle", "")
    if not cycle:
        return {"cycle": None, "next": None}
    low, high = KIOSK_CYCLE
    if not (cycle.isascii() and cycle.isdigit() and low <= int(cycle) <= high):
        abort(400, f"Give cycle as the seconds to show each page, from {low} to {high}.")
    pages = services.nav_pages(current_user.is_authenticated)
    others = [entry for entry in pages if entry.id != page.id]
    if not others:
        return {"cycle": None, "next": None}
    at = next((i for i, entry in enumerate(pages) if entry.id == page.id), -1)
    after = pages[(at + 1) % len(pages)]
    target = url_for("pages.show", slug=after.slug, kiosk=1, cycle=cycle)
    return {"cycle": int(cycle), "next": target}


def _deleted_notice():
    """The page just deleted, for its "Deleted · Undo" (None if it is back or gone)."""
    ids = [int(m) for m in get_flashed_messages(category_filter=[DELETED]) if m.isdigit()]
    if not ids:
        return None
    pages = [p for p in deletion.recently_deleted() if p.id in ids]
    return pages[0] if pages else None


def _page_form(page) -> PageForm:
    data = {"title": page.title, "slug": page.slug, "is_public": page.is_public}
    return PageForm(data={**data, "in_nav": page.nav_position is not None}, page=page)


@bp.get("/pages/<slug>/head")
def head(slug):
    page = visible_page(slug)
    if not is_htmx():
        return redirect(url_for("pages.show", slug=slug))
    return render_template("pages/_head.html", page=page)


@bp.get("/pages/<slug>/settings")
@admin_required
def edit_settings(slug):
    page = services.get_page_or_404(slug)
    form = _page_form(page)
    if is_htmx():
        return render_template("pages/_head_edit.html", page=page, form=form)
    return render_template("pages/page.html", page=page, form=form, editing_head=True)


@bp.route("/pages/<slug>/settings", methods=["PUT", "POST"])
@admin_required
def save_settings(slug):
    page = services.get_page_or_404(slug)
    form = PageForm(page=page)
    if not form.validate():
        if is_htmx():
            return render_template("pages/_head_edit.html", page=page, form=form), 422
        return render_template("pages/page.html", page=page, form=form, editing_head=True), 422
    old_slug = page.slug
    services.update_page(page, **form.values(), actor=current_user)
    db.session.commit()
    target = url_for("pages.show", slug=page.slug)
    if not is_htmx():
        return redirect(target, 303)
    if page.slug != old_slug:
        return "", 200, {"HX-Redirect": target}
    return render_template("pages/_head.html", page=page, oob_nav=True)


@bp.get("/nav")
def nav():
    if not is_htmx():
        return redirect(url_for("pages.show", slug="home"))
    return render_template("pages/_nav.html")


@bp.get("/nav/edit")
@admin_required
def edit_nav():
    return _nav_editor(PageForm(formdata=None))


def _nav_editor(form, status=200):
    pages = services.all_pages()
    template = "pages/_nav_edit.html" if is_htmx() else "pages/nav_edit.html"
    deleted = deletion.recently_deleted()
    return render_template(template, pages=pages, form=form, deleted=deleted), status


@bp.post("/nav/<slug>/move")
@admin_required
def move_in_nav(slug):
    page = services.get_page_or_404(slug)
    services.move_in_nav(page, request.form.get("direction", ""), current_user)
    db.session.commit()
    if is_htmx():
        return _nav_editor(PageForm(formdata=None))
    return redirect(url_for("pages.edit_nav"), 303)


@bp.post("/pages")
@admin_required
def create_page():
    form = PageForm()
    if not form.validate():
        return _nav_editor(form, 422)
    page = services.create_page(**form.values(), actor=current_user)
    db.session.commit()
    return _to_page(page.slug, 201)


def _to_page(slug: str, status: int = 200):
    """After a change that moves the viewer: htmx is told where, a form is redirected."""
    target = url_for("pages.show", slug=slug)
    if is_htmx():
        return "", status, {"HX-Redirect": target}
    return redirect(target, 303)


@bp.get("/pages/<slug>/delete")
@admin_required
def confirm_delete_page(slug):
    page = services.get_page_or_404(slug)
    deletion.check_deletable(page)
    return render_template("pages/confirm_delete_page.html", page=page)


@bp.post("/pages/<slug>/delete")
@admin_required
def delete_page(slug):
    page = services.get_page_or_404(slug)
    deletion.delete_page(page, current_user)
    db.session.commit()
    flash(str(page.id), DELETED)
    return _to_page(HOME)


@bp.post("/pages/deleted/<int:page_id>/restore")
@admin_required
def restore_page(page_id):
    page = deletion.deleted_page_or_404(page_id)
    deletion.restore_page(page, current_user)
    db.session.commit()
    return _to_page(page.slug)
