"""Pages: home and any slug, private pages, settings edited in place, the navigation."""

import logging

import pytest
from statboard.extensions import db
from statboard.pages.models import Page

from tests.pages_helpers import HX, TEXT, assert_fragment, csrf, gen_page, page_row


def nav_order(app):
    with app.app_context():
        query = db.select(Page.slug).where(Page.nav_position.is_not(None))
        return list(db.session.scalars(query.order_by(Page.nav_position)))


@pytest.fixture
def site(app):
    gen_page(app, "home", "Home", nav=0, blocks=[TEXT])
    gen_page(app, "about", "About us", nav=1)
    gen_page(app, "team", "Team room", public=False, nav=2)
    gen_page(app, "hidden", "Not in the menu", nav=None)


def test_home_and_slugs_render_and_unknown_is_404(client, site):
    home = client.get("/")
    assert home.status_code == 200 and "Hello <strong>world</strong>" in home.get_data(as_text=True)
    assert "About us" in client.get("/about").get_data(as_text=True)
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/hidden").status_code == 200


def test_navigation_in_order_without_private_pages_for_visitors(client, auth, site):
    html = client.get("/").get_data(as_text=True)
    assert html.index(">\n        Home") < html.index("About us")
    assert "Team room" not in html and "Not in the menu" not in html
    assert "Log in" in html
    auth.login_user()
    html = client.get("/").get_data(as_text=True)
    assert "Team room" in html and 'action="/logout"' in html


def test_private_pages_need_a_login(client, auth, site):
    response = client.get("/team", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/team")
    assert client.get("/team", headers=HX).status_code == 401
    auth.login_user()
    assert client.get("/team").status_code == 200


def test_settings_edit_in_place(client, auth, app, site, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    form = assert_fragment(client.get("/pages/about/settings", headers=HX), "form", "page-head")
    assert 'value="About us"' in form
    data = {"title": "About", "slug": "about", "is_public": "y", "in_nav": "y"}
    response = client.put("/pages/about/settings", data=data, headers={**HX, **csrf(client)})
    html = assert_fragment(response, "header", "page-head")
    assert 'id="site-nav" class="site-nav" aria-label="Pages" hx-swap-oob="true"' in html
    assert page_row(app, "about").title == "About"
    assert any("admin changed page 'About us'" in r.getMessage() for r in caplog.records)


def test_rename_the_address_moves_the_page(client, auth, app, site):
    auth.login_admin()
    data = {"title": "About", "slug": "who-we-are", "in_nav": "y"}
    response = client.put("/pages/about/settings", data=data, headers={**HX, **csrf(client)})
    assert response.headers["HX-Redirect"] == "/who-we-are"
    assert page_row(app, "about") is None
    renamed = page_row(app, "who-we-are")
    assert renamed.is_public is False and renamed.nav_position == 1
    token = csrf(client)["X-CSRFToken"]
    data = {"title": "About", "slug": "about", "is_public": "y", "csrf_token": token}
    response = client.post("/pages/who-we-are/settings", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/about"
    assert page_row(app, "about").nav_position is None  # unticked: out of the menu


BAD_PAGES = [
    ({"title": "", "slug": "x"}, "Give the page a title"),
    ({"title": "T" * 201, "slug": "x"}, "Keep the title under 200"),
    ({"title": "X", "slug": "!!!"}, "Use letters or digits"),
    ({"title": "X", "slug": "\u65e5\u672c"}, "Use letters or digits"),
    ({"title": "X", "slug": "s" * 81}, "under 80"),
    ({"title": "X", "slug": "login"}, "The site already uses /login"),
    ({"title": "X", "slug": "blocks"}, "The site already uses /blocks"),
    ({"title": "X", "slug": "static"}, "The site already uses /static"),
    ({"title": "X", "slug": "team"}, "Another page has the address /team"),
    ({"title": "X", "slug": "Team"}, "pick another, e.g. team-2"),
]


@pytest.mark.parametrize(("data", "message"), BAD_PAGES)
def test_bad_page_settings_get_422(client, auth, app, site, data, message):
    auth.login_admin()
    response = client.put("/pages/about/settings", data=data, headers={**HX, **csrf(client)})
    assert response.status_code == 422
    assert message in assert_fragment(response, "form", "page-head")
    assert page_row(app, "about").title == "About us"


@pytest.mark.parametrize(("data", "message"), BAD_PAGES)
def test_bad_new_pages_get_422(client, auth, app, site, data, message):
    auth.login_admin()
    response = client.post("/pages", data=data, headers={**HX, **csrf(client)})
    assert response.status_code == 422
    assert message in assert_fragment(response, "nav", "site-nav")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Page)) == 4


def test_create_a_page(client, auth, app, site, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    data = {"title": "News", "slug": "news", "is_public": "y", "in_nav": "y"}
    response = client.post("/pages", data=data, headers={**HX, **csrf(client)})
    assert response.status_code == 201 and response.headers["HX-Redirect"] == "/news"
    assert nav_order(app) == ["home", "about", "team", "news"]
    assert "News" in client.get("/news").get_data(as_text=True)
    assert any("admin created page 'News'" in r.getMessage() for r in caplog.records)
    token = csrf(client)["X-CSRFToken"]
    data = {"title": "Old", "slug": "old", "csrf_token": token}
    response = client.post("/pages", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/old"
    assert page_row(app, "old").is_public is False and page_row(app, "old").nav_position is None


def test_nav_editor_moves_pages(client, auth, app, site):
    auth.login_admin()
    editor = assert_fragment(client.get("/nav/edit", headers=HX), "nav", "site-nav")
    assert "Not in the menu" in editor and "New page" in editor
    assert "<html" in client.get("/nav/edit").get_data(as_text=True)  # no-JS page
    response = client.post(
        "/nav/team/move", data={"direction": "up"}, headers={**HX, **csrf(client)}
    )
    assert_fragment(response, "nav", "site-nav")
    assert nav_order(app) == ["home", "team", "about"]
    token = csrf(client)["X-CSRFToken"]
    response = client.post("/nav/home/move", data={"direction": "down", "csrf_token": token})
    assert response.status_code == 303
    assert nav_order(app) == ["team", "home", "about"]
    client.post("/nav/team/move", data={"direction": "up"}, headers={**HX, **csrf(client)})
    assert nav_order(app) == ["team", "home", "about"]
    assert_fragment(client.get("/nav", headers=HX), "nav", "site-nav")


@pytest.mark.parametrize(
    ("slug", "direction", "status"),
    [("team", "sideways", 400), ("hidden", "up", 400), ("nope", "up", 404)],
)
def test_bad_nav_moves(client, auth, app, site, slug, direction, status):
    auth.login_admin()
    response = client.post(
        f"/nav/{slug}/move", data={"direction": direction}, headers={**HX, **csrf(client)}
    )
    assert response.status_code == status
    assert nav_order(app) == ["home", "about", "team"]


def test_demo_home_page_has_one_block_of_each_kind(app, client):
    from statboard.pages import registry
    from statboard.pages.demo import seed_demo

    with app.app_context():
        home = seed_demo()
        kinds = {block.kind for block in home.blocks}
        assert {"text", "event"} <= kinds
        assert kinds == {kind.name for kind in registry.all_kinds() if kind.demo}
        assert seed_demo() is None  # only on a fresh site
    html = client.get("/").get_data(as_text=True)
    assert "Welcome to Statboard" in html and "Upcoming" in html


# --- the kiosk view ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["visitor", "admin"])
def test_the_kiosk_view_is_the_page_alone_with_a_clock(client, auth, site, who):
    if who == "admin":
        auth.login_admin()
    html = client.get("/?kiosk=1").get_data(as_text=True)
    assert "Hello <strong>world</strong>" in html and 'class="kiosk-clock"' in html
    assert "js/kiosk.js?v=" in html
    for gone in ('id="site-nav"', "/login", "Log out", "block-tools", "Page settings", "adder"):
        assert gone not in html, gone
    assert "data-kiosk-next" not in html  # no cycle asked
    assert 'id="site-nav"' in client.get("/?kiosk=0").get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "url", "after"),
    [
        ("visitor", "/?kiosk=1&cycle=30", "/about?kiosk=1&amp;cycle=30"),
        ("visitor", "/about?kiosk=1&cycle=30", "/?kiosk=1&amp;cycle=30"),  # round again
        ("visitor", "/hidden?kiosk=1&cycle=5", "/?kiosk=1&amp;cycle=5"),  # not in the menu
        ("user", "/about?kiosk=1&cycle=30", "/team?kiosk=1&amp;cycle=30"),  # private: logged in
    ],
)
def test_a_cycling_kiosk_shows_the_next_page_of_the_menu(client, auth, site, who, url, after):
    if who == "user":
        auth.login_user()
    html = client.get(url).get_data(as_text=True)
    assert f'data-kiosk-next="{after}"' in html
    assert f'data-kiosk-cycle="{url.rsplit("=", 1)[1]}"' in html


@pytest.mark.parametrize("cycle", ["2", "86401", "soon", "-5", "1.5", "²"])
def test_a_kiosk_cycle_is_a_number_of_seconds(client, site, cycle):
    response = client.get(f"/?kiosk=1&cycle={cycle}")
    assert response.status_code == 400
    assert "Give cycle as the seconds to show each page, from 3 to 86400" in response.get_data(
        as_text=True
    )


def test_a_kiosk_with_one_page_does_not_cycle(client, app):
    gen_page(app, "home", "Home", nav=0, blocks=[TEXT])
    assert "data-kiosk-next" not in client.get("/?kiosk=1&cycle=10").get_data(as_text=True)
