"""Page addresses: made from the title or folded from what is typed, kept working after a
rename (redirects), and pages deleted with an undo."""

from datetime import timedelta

import pytest
from statboard.extensions import db
from statboard.models_base import utcnow
from statboard.pages import deletion
from statboard.pages.addresses import slugify
from statboard.pages.models import Block, Page, PageAlias

from tests.pages_helpers import HX, TEXT, csrf, gen_page, page_row


def aliases(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            db.select(PageAlias.slug, Page.slug).join(Page, PageAlias.page_id == Page.id)
        )
        return dict(rows.all())


@pytest.fixture
def site(app):
    gen_page(app, "home", "Home", nav=0, blocks=[TEXT])
    gen_page(app, "about", "About us", nav=1, blocks=[TEXT])
    gen_page(app, "team", "Team room", public=False, nav=2)


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("Lab Page", "lab-page"),
        ("  lab--page!  ", "lab-page"),
        ("Café Crème", "cafe-creme"),
        ("Straße 5", "strae-5"),
        ("../etc/passwd", "etc-passwd"),
        ("日本語", ""),
        ("ＡＢＣ１２", "abc12"),
    ],
)
def test_slugify_folds_to_ascii(typed, slug):
    assert slugify(typed) == slug


def create(client, **data):
    data = {"is_public": "y", "in_nav": "y", **data}
    return client.post("/pages", data=data, headers={**HX, **csrf(client)})


def test_an_empty_address_is_made_from_the_title_and_collisions_count_up(client, auth, app, site):
    auth.login_admin()
    for expected in ("lab-page", "lab-page-2", "lab-page-3"):
        response = create(client, title="Lab Page", slug="")
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.headers["HX-Redirect"] == f"/{expected}"
    assert page_row(app, "lab-page-3").title == "Lab Page"
    # A title that reads as a route of the site, or as nothing, still gets an address.
    assert create(client, title="Login", slug="").headers["HX-Redirect"] == "/login-2"
    assert create(client, title="日本語", slug="").headers["HX-Redirect"] == "/page"


def test_a_typed_address_is_folded_not_refused(client, auth, app, site):
    auth.login_admin()
    response = create(client, title="Lab", slug="Lab Page")
    assert response.status_code == 201 and response.headers["HX-Redirect"] == "/lab-page"
    # Typed, a taken address is refused (the admin named it), with a free one to take.
    response = create(client, title="Lab", slug="LAB page")
    assert response.status_code == 422
    assert "pick another, e.g. lab-page-2" in response.get_data(as_text=True)


def rename(client, old, new, **data):
    data = {"title": "Renamed", "slug": new, "is_public": "y", "in_nav": "y", **data}
    return client.put(f"/pages/{old}/settings", data=data, headers={**HX, **csrf(client)})


def test_renamed_page_answers_its_old_address_with_a_redirect(client, auth, app, site):
    auth.login_admin()
    assert rename(client, "about", "who").headers["HX-Redirect"] == "/who"
    response = client.get("/about?range=7d&x=1")
    assert response.status_code == 301
    assert response.headers["Location"] == "/who?range=7d&x=1"  # the query goes along
    assert response.headers["Cache-Control"] == "no-cache"  # a new page may take it later
    assert client.get("/about").headers["Location"] == "/who"
    # A chain of renames collapses: each earlier address goes straight to the page.
    rename(client, "who", "people")
    assert client.get("/about").headers["Location"] == "/people"
    assert client.get("/who").headers["Location"] == "/people"
    assert aliases(app) == {"about": "people", "who": "people"}
    # Back to an earlier address: it is the page's again, and no longer an alias.
    rename(client, "people", "about")
    assert client.get("/about").status_code == 200
    assert aliases(app) == {"who": "about", "people": "about"}


def test_an_alias_never_shadows_a_real_page(client, auth, app, site):
    auth.login_admin()
    rename(client, "about", "who")
    response = create(client, title="About", slug="about")
    assert response.status_code == 201
    assert client.get("/about").status_code == 200
    assert "<h1>About" in client.get("/about").get_data(as_text=True)
    assert "about" not in aliases(app)


def test_old_address_of_a_private_page_asks_for_a_login_first(client, auth, app, site):
    auth.login_admin()
    rename(client, "team", "crew", is_public="")
    client.post("/logout", headers=csrf(client))
    response = client.get("/team")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_home_page_keeps_its_address(client, auth, app, site):
    auth.login_admin()
    response = rename(client, "home", "start")
    assert response.status_code == 422
    assert "The home page keeps the address home" in response.get_data(as_text=True)
    assert rename(client, "home", "").status_code == 200  # left empty: still home
    assert page_row(app, "home").title == "Renamed"


def delete(client, slug, **headers):
    return client.post(f"/pages/{slug}/delete", headers={**HX, **headers})


def test_deleting_a_page_hides_it_and_undo_brings_it_back(client, auth, app, site):
    auth.login_admin()
    rename(client, "about", "who", title="About us")
    confirm = client.get("/pages/who/delete")
    assert confirm.status_code == 200
    assert "Delete the page “About us”?" in confirm.get_data(as_text=True)
    response = delete(client, "who", **csrf(client))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Deleted “About us”" in home and "Undo" in home  # said once, after the delete
    assert "Deleted “About us”" not in client.get("/").get_data(as_text=True)
    for gone in ("/who", "/about"):
        assert client.get(gone).status_code == 404
    page = page_row(app, "who")
    block_id = page.id and block_of(app, page.id)
    assert client.get(f"/blocks/{block_id}", headers=HX).status_code == 404
    assert "About us" not in nav_text(client)
    assert "Recently deleted" in client.get("/nav/edit", headers=HX).get_data(as_text=True)

    response = client.post(f"/pages/deleted/{page.id}/restore", headers={**HX, **csrf(client)})
    assert response.headers["HX-Redirect"] == "/who"
    assert client.get("/who").status_code == 200
    assert client.get("/about").headers["Location"] == "/who"
    assert client.get(f"/blocks/{block_id}", headers=HX).status_code == 200
    assert "About us" in nav_text(client)
    again = client.post(f"/pages/deleted/{page.id}/restore", headers={**HX, **csrf(client)})
    assert again.status_code == 404


def block_of(app, page_id) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Block.id).where(Block.page_id == page_id))


def nav_text(client) -> str:
    return client.get("/nav", headers=HX).get_data(as_text=True)


def test_a_deleted_page_holds_its_address_until_purged(client, auth, app, site):
    auth.login_admin()
    page_id = page_row(app, "about").id
    rename(client, "about", "who", title="About us")
    delete(client, "who", **csrf(client))
    response = create(client, title="Who", slug="who")
    assert response.status_code == 422
    assert "A deleted page keeps /who while it can be restored" in response.get_data(as_text=True)
    with app.app_context():  # the undo window passes: the purge removes it for good
        assert deletion.purge(utcnow()) == 0
        later = utcnow() + timedelta(seconds=app.config["PAGE_UNDO_SECONDS"] + 1)
        assert deletion.purge(later) == 1
        db.session.commit()
        assert db.session.get(Page, page_id) is None
        assert db.session.scalar(db.select(db.func.count(Block.id))) == 1  # home's own
    assert aliases(app) == {}
    assert create(client, title="Who", slug="about").status_code == 201
    assert client.get(f"/pages/deleted/{page_id}/restore").status_code == 405
    gone = client.post(f"/pages/deleted/{page_id}/restore", headers={**HX, **csrf(client)})
    assert gone.status_code == 404


def test_undo_is_refused_once_the_window_has_passed(client, auth, app, site):
    auth.login_admin()
    delete(client, "about", **csrf(client))
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.slug == "about"))
        page.deleted_at = utcnow() - timedelta(seconds=app.config["PAGE_UNDO_SECONDS"] + 5)
        db.session.commit()
        page_id = page.id
    response = client.post(f"/pages/deleted/{page_id}/restore", headers={**HX, **csrf(client)})
    assert response.status_code == 410


def test_the_home_page_cannot_be_deleted(client, auth, app, site):
    auth.login_admin()
    assert client.get("/pages/home/delete").status_code == 400
    response = delete(client, "home", **csrf(client))
    assert response.status_code == 400
    assert page_row(app, "home").deleted_at is None
    settings = {s: client.get(f"/pages/{s}/settings", headers=HX) for s in ("home", "about")}
    assert "Delete page" not in settings["home"].get_data(as_text=True)
    assert "Delete page" in settings["about"].get_data(as_text=True)


def test_only_admins_delete_and_restore_pages_with_csrf(client, auth, app, site):
    assert delete(client, "about").status_code in (400, 401)  # no CSRF token, no login
    auth.login_user()
    assert client.get("/pages/about/delete", headers=HX).status_code == 403
    assert delete(client, "about", **csrf(client)).status_code == 403
    client.post("/logout", headers=csrf(client))
    auth.login_admin()
    assert delete(client, "about").status_code == 400  # no CSRF token
    assert page_row(app, "about").deleted_at is None
    delete(client, "about", **csrf(client))
    page_id = page_row(app, "about").id
    client.post("/logout", headers=csrf(client))
    auth.login("alice", "secret-pw")
    restore = client.post(f"/pages/deleted/{page_id}/restore", headers={**HX, **csrf(client)})
    assert restore.status_code == 403
    assert page_row(app, "about").deleted_at is not None


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/about", {}),  # the page itself
        ("/nav", {**HX, "HX-Current-URL": "http://localhost/about"}),  # the menu, fetched
        ("/pages/about/head", {**HX, "HX-Current-URL": "http://localhost/about"}),
    ],
)
def test_the_navigation_marks_the_current_page(client, auth, app, site, url, headers):
    auth.login_admin()
    html = client.get(url, headers=headers).get_data(as_text=True)
    if url.endswith("/head"):  # a head saved in place sends the menu along
        data = {"title": "About us", "slug": "about", "is_public": "y", "in_nav": "y"}
        html = client.put("/pages/about/settings", data=data, headers={**headers, **csrf(client)})
        html = html.get_data(as_text=True)
    assert 'href="/about"\n           aria-current="page"' in html
    assert html.count('aria-current="page"') == 1
