from statboard.auth.models import User
from statboard.extensions import db, login


@login.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def init_login(app):
    login.login_view = "auth.login"
    login.login_message = "Please log in to see this page."
