"""A form posted as JSON: an object of text, numbers and booleans is read as the
form's fields; anything else is a 400 that says what to send, never a 500."""

import html

import pytest
from statboard.forms import NOT_FIELDS
from statboard.pages.forms import PageForm

from tests.conftest import csrf_token, gen_user
from tests.fixtures.images import make_block


@pytest.fixture
def admin(app, client, auth):
    gen_user(app, "boss", "boss-password", admin=True)
    auth.login("boss", "boss-password")
    return {"X-CSRFToken": csrf_token(client)}


@pytest.mark.parametrize("body", ["false", "[]", "3", '"title"', "null", '{"handle": {"n": 2}}'])
@pytest.mark.parametrize(
    "method, route", [("POST", "/blocks/{chart}/accounts"), ("PUT", "/blocks/{text}")]
)
def test_json_that_is_not_an_object_of_fields_is_refused(app, client, admin, body, method, route):
    url = route.format(chart=make_block(app, "chart"), text=make_block(app, "text"))
    answer = client.open(
        url, method=method, data=body, content_type="application/json", headers=admin
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert NOT_FIELDS in html.unescape(answer.get_data(as_text=True))


def test_a_json_object_is_read_as_the_fields(app):
    body = {"title": "News", "slug": ["team-news"], "is_public": False, "in_nav": True}
    with app.test_request_context("/pages", method="POST", json=body):
        form = PageForm(meta={"csrf": False})
        assert (form.title.data, form.slug.data) == ("News", "team-news")
        assert (form.is_public.data, form.in_nav.data) == (False, True)
