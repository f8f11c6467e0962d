"""Adding, moving, resizing and deleting blocks; who may do it."""

import logging
import re

import pytest

from tests.pages_helpers import (
    EVENT,
    HX,
    TEXT,
    assert_fragment,
    block_ids,
    csrf,
    gen_page,
    get_block,
)


@pytest.fixture
def home(app):
    gen_page(app, "home", "Home", blocks=[TEXT, EVENT, ("text", {"html": "<p>third</p>"})])
    return block_ids(app)


def kinds_in_order(app):
    return [get_block(app, i).kind for i in block_ids(app)]


def test_add_a_block_between_two_opens_it_for_editing(client, auth, app, home, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    response = client.post(
        "/pages/home/blocks",
        data={"kind": "event", "position": "1"},
        headers={**HX, **csrf(client)},
    )
    html = assert_fragment(response, "div", "blocks")
    ids = block_ids(app)
    assert len(ids) == 4 and ids[0] == home[0] and ids[2] == home[1]
    assert f'<form id="block-{ids[1]}"' in html  # the new block comes back in edit mode
    assert kinds_in_order(app) == ["text", "event", "event", "text"]
    assert any("admin added event block" in r.getMessage() for r in caplog.records)


def test_add_without_javascript_redirects_to_the_edit_page(client, auth, app, home):
    auth.login_admin()
    token = csrf(client)["X-CSRFToken"]
    response = client.post(
        "/pages/home/blocks", data={"kind": "text", "position": "3", "csrf_token": token}
    )
    assert response.status_code == 303
    new_id = block_ids(app)[-1]
    assert response.headers["Location"].endswith(f"/blocks/{new_id}/edit")


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"kind": "rocket", "position": "0"}, 400, "Unknown block kind"),
        ({"kind": "", "position": "0"}, 400, "Unknown block kind"),
        ({"kind": "text", "position": "99"}, 400, "Position must be between 0 and 3"),
        ({"kind": "text", "position": "-1"}, 400, "Position must be between"),
        ({"kind": "text", "position": "one"}, 400, "whole number"),
        ({"kind": "text"}, 400, "whole number"),
    ],
)
def test_bad_additions_change_nothing(client, auth, app, home, form, status, message):
    auth.login_admin()
    response = client.post("/pages/home/blocks", data=form, headers={**HX, **csrf(client)})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert block_ids(app) == home


def test_move_up_and_down_and_to_a_position(client, auth, app, home):
    auth.login_admin()
    headers = {**HX, **csrf(client)}
    client.post(f"/blocks/{home[2]}/move", data={"direction": "up"}, headers=headers)
    assert block_ids(app) == [home[0], home[2], home[1]]
    client.post(f"/blocks/{home[0]}/move", data={"direction": "down"}, headers=headers)
    assert block_ids(app) == [home[2], home[0], home[1]]
    response = client.post(f"/blocks/{home[1]}/move", data={"position": "0"}, headers=headers)
    assert_fragment(response, "div", "blocks")
    assert block_ids(app) == [home[1], home[2], home[0]]
    # Past either end stays at the end; moving keeps open editors' versions valid.
    client.post(f"/blocks/{home[1]}/move", data={"direction": "up"}, headers=headers)
    assert block_ids(app) == [home[1], home[2], home[0]]
    assert get_block(app, home[1]).version == 1


def test_move_without_javascript_redirects_back(client, auth, app, home):
    auth.login_admin()
    token = csrf(client)["X-CSRFToken"]
    response = client.post(
        f"/blocks/{home[0]}/move", data={"direction": "down", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#block-{home[0]}")
    assert block_ids(app) == [home[1], home[0], home[2]]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("span", "5", "1 to 4 columns"),
        ("span", "0", "1 to 4 columns"),
        ("span", "wide", "whole number (1 to 4)"),
        ("rows", "3", "1 to 2 rows"),
        ("rows", "0", "1 to 2 rows"),
        ("rows", "", "whole number (1 to 2)"),
    ],
)
def test_size_is_1_to_4_columns_and_1_or_2_rows(client, auth, app, home, field, value, message):
    auth.login_admin()
    response = client.post(
        f"/blocks/{home[1]}/{field}", data={field: value}, headers={**HX, **csrf(client)}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    block = get_block(app, home[1])
    assert (block.span, block.rows) == (1, 1)


@pytest.mark.parametrize(("field", "value"), [("span", 2), ("span", 4), ("rows", 2)])
def test_resize_a_block(client, auth, app, home, field, value, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    response = client.post(
        f"/blocks/{home[1]}/{field}", data={field: str(value)}, headers={**HX, **csrf(client)}
    )
    html = assert_fragment(response, "div", "blocks")
    classes = re.search(rf'id="block-{home[1]}" class="([^"]*)"', html).group(1).split()
    assert f"{'span' if field == 'span' else 'rows'}-{value}" in classes
    assert getattr(get_block(app, home[1]), field) == value
    assert get_block(app, home[1]).version == 1  # resizing leaves open editors valid
    assert any(f"admin resized event block {home[1]}" in r.getMessage() for r in caplog.records)


def test_rows_without_javascript_redirects_back(client, auth, app, home):
    auth.login_admin()
    token = csrf(client)["X-CSRFToken"]
    response = client.post(f"/blocks/{home[1]}/rows", data={"rows": "2", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#block-{home[1]}")
    assert get_block(app, home[1]).rows == 2


def test_delete_asks_first_without_javascript(client, auth, app, home):
    auth.login_admin()
    page = client.get(f"/blocks/{home[1]}/delete").get_data(as_text=True)
    assert "Delete this block?" in page and "Keep it" in page
    token = csrf(client)["X-CSRFToken"]
    response = client.post(f"/blocks/{home[1]}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert block_ids(app) == [home[0], home[2]]
    assert [get_block(app, i).position for i in block_ids(app)] == [0, 1]


def test_delete_with_htmx_answers_the_grid(client, auth, app, home, caplog):
    auth.login_admin()
    caplog.set_level(logging.INFO, logger="statboard.changes")
    response = client.post(f"/blocks/{home[0]}/delete", headers={**HX, **csrf(client)})
    html = assert_fragment(response, "div", "blocks")
    assert f'id="block-{home[0]}"' not in html
    assert any(f"admin deleted text block {home[0]}" in r.getMessage() for r in caplog.records)


# Every edit endpoint, as (method, url template, form data).
EDITS = [
    ("put", "/blocks/{0}", {"html": "<p>hacked</p>", "version": "1"}),
    ("post", "/blocks/{0}", {"html": "<p>hacked</p>", "version": "1"}),
    ("post", "/pages/home/blocks", {"kind": "text", "position": "0"}),
    ("post", "/blocks/{0}/move", {"direction": "down"}),
    ("post", "/blocks/{0}/span", {"span": "1"}),
    ("post", "/blocks/{0}/rows", {"rows": "2"}),
    ("post", "/blocks/{0}/delete", {}),
    ("post", "/pages/home/settings", {"title": "Hacked", "slug": "hacked"}),
    ("put", "/pages/home/settings", {"title": "Hacked", "slug": "hacked"}),
    ("post", "/pages", {"title": "New", "slug": "new"}),
    ("post", "/nav/home/move", {"direction": "down"}),
]


def snapshot(app):
    from statboard.extensions import db
    from statboard.pages.models import Block, Page

    with app.app_context():
        pages = db.session.execute(db.select(Page.slug, Page.title, Page.nav_position)).all()
        blocks = db.session.execute(
            db.select(Block.id, Block.position, Block.span, Block.rows, Block.data, Block.version)
        ).all()
        return sorted(pages), sorted(blocks)


@pytest.mark.parametrize(("method", "url", "data"), EDITS)
@pytest.mark.parametrize("who", ["visitor", "user"])
def test_visitors_and_users_cannot_edit(client, auth, app, home, method, url, data, who):
    gen_page(app, "about", nav=1)
    if who == "user":
        auth.login_user()
    before = snapshot(app)
    headers = {**HX, **csrf(client)}
    response = getattr(client, method)(url.format(home[0]), data=data, headers=headers)
    assert response.status_code == (401 if who == "visitor" else 403)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "url", ["/blocks/{0}/edit", "/blocks/{0}/delete", "/pages/home/settings", "/nav/edit"]
)
def test_edit_forms_send_browsers_to_login_and_refuse_users(client, auth, home, url):
    response = client.get(url.format(home[0]), headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login_user()
    assert client.get(url.format(home[0])).status_code == 403


def test_writes_without_csrf_token_are_refused(client, auth, app, home):
    auth.login_admin()
    before = snapshot(app)
    response = client.put(
        f"/blocks/{home[0]}", data={"html": "<p>x</p>", "version": "1"}, headers=HX
    )
    assert response.status_code == 400
    assert snapshot(app) == before


def test_visitors_get_no_edit_controls_or_scripts(client, auth, home):
    for login in (None, auth.login_user):
        if login:
            login()
        html = client.get("/").get_data(as_text=True)
        assert "editor.js" not in html and "richtext.js" not in html
        assert "block-tools" not in html and "data-edit-url" not in html and "Edit menu" not in html
    client.post("/logout", data={"csrf_token": csrf(client)["X-CSRFToken"]})
    auth.login_admin()
    html = client.get("/").get_data(as_text=True)
    assert "editor.js" in html and "block-tools" in html and "Edit menu" in html
