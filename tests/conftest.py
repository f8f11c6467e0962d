import re

import pytest
from statboard import create_app
from statboard.auth.models import User
from statboard.extensions import db

pytest_plugins = [
    "tests.fixtures.processes",  # first: its end-of-session check is torn down last
    "tests.fixtures.servers",
    "tests.fixtures.tasks",
    "tests.fixtures.platforms",
    "tests.fixtures.hosts",
    "tests.fixtures.receivers",
    "pytester",
]

CSRF_RE = re.compile(r'(?:name="csrf_token" type="hidden" value="|"X-CSRFToken": ")([^"]+)"')


def make_settings(tmp_path, **overrides) -> dict:
    """Overrides of TestConfig that put every path inside tmp_path."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'statboard.db'}",
        "STORAGE_URL": str(tmp_path / "uploads"),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        **overrides,
    }


@pytest.fixture
def settings(tmp_path):
    """Override settings before the app is made: def test_x(settings, app)."""
    return make_settings(tmp_path)


@pytest.fixture
def app(settings):
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    yield app
    app.extensions["counters"].store.close()  # its flusher thread, if a test started it
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def apps():
    """apps(settings) -> an app on those settings; after the test its counter store (its
    flusher thread) is closed and its connection pool let go."""
    made = []

    def make(settings):
        app = create_app(settings)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["counters"].store.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def make_app(tmp_path, apps):
    """make_app(**overrides): an app with its tables, on settings of its own (its paths in
    tmp_path), closed after the test like every app of `apps`."""

    def make(**overrides):
        app = apps(make_settings(tmp_path, **overrides))
        with app.app_context():
            db.create_all()
        return app

    return make


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client(app):
    """A test client that asks for pages as a browser does (machines: pass Accept)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client) -> str:
    """The CSRF token of the client's session, as a page hands it to a browser
    (logged in, /login redirects to a page that has it in <body hx-headers>)."""
    page = client.get("/login", headers={"Accept": "text/html"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def gen_user(app, username="alice", password="secret-pw", admin=False, **fields) -> User:
    with app.app_context():
        user = User(username=username, fullname=fields.pop("fullname", username.title()))
        user.is_admin = admin
        user.email = fields.pop("email", f"{username}@example.test")
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


class AuthActions:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def login(self, username="admin", password="admin-pw"):
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def login_admin(self):
        gen_user(self.app, "admin", "admin-pw", admin=True)
        return self.login("admin", "admin-pw")

    def login_user(self, username="alice", password="secret-pw"):
        gen_user(self.app, username, password)
        return self.login(username, password)

    def csrf(self) -> dict:
        """Headers an htmx request carries."""
        return {"X-CSRFToken": csrf_token(self.client)}


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
