"""/v3/users/: list, create, read, replace, update and delete Statboard's users.

Writes are for admins (403 before the body is even read). Bodies are forms or JSON.
The last admin can be neither deleted nor demoted (409).
"""

import re

from flask import abort, g, request, url_for

from statboard import notify
from statboard.auth.models import User
from statboard.extensions import db
from statboard.hosts.api_v3 import bp, require_api_admin

USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


def user_body(user: User) -> dict:
    return {
        "username": user.username,
        "fullname": user.fullname,
        "admin": user.is_admin,
        "links": [{"rel": "self", "href": url_for("hosts_v3.user", name=user.username)}],
    }


def parse_bool(value) -> bool | None:
    """true/false (JSON or strings such as "false", "0"); None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def read_body() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, 'Send the user as a JSON object, e.g. {"username": "ann"}.')
        return body
    return request.form.to_dict()


def clean_fields(body: dict, required: tuple[str, ...]) -> dict:
    """The user fields of a body, checked; a 400 naming every field to fix otherwise."""
    fields, errors = {}, {}
    for name in required:
        if body.get(name) in (None, ""):
            errors[name] = f"Missing required parameter {name}."
    for name, limit in (("username", 64), ("fullname", 200), ("password", 200)):
        value = body.get(name)
        if value is None or name in errors:
            continue
        if not isinstance(value, str):
            errors[name] = f"{name} must be text."
        elif len(value) > limit:
            errors[name] = f"{name} must be at most {limit} characters."
        elif name == "username" and not USERNAME.match(value):
            errors[name] = "Use 1-64 letters, digits or . _ @ + - for the username."
        elif name == "password" and not value:
            errors[name] = "The password cannot be empty."
        else:
            fields[name] = value
    if "admin" in body:
        admin = parse_bool(body["admin"])
        if admin is None:
            errors["admin"] = "admin must be true or false."
        else:
            fields["admin"] = admin
    if errors:
        abort(400, errors)
    return fields


def _get_user(name: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.username == name))


def get_user_or_404(name: str) -> User:
    user = _get_user(name)
    if user is None:
        abort(404, f"There is no user {name}; GET /v3/users/ lists them.")
    return user


def _is_last_admin(user: User) -> bool:
    admins = db.session.scalar(db.select(db.func.count()).where(User.is_admin))
    return user.is_admin and admins <= 1


def apply_fields(user: User, fields: dict) -> None:
    new_name = fields.get("username", user.username)
    if new_name != user.username and _get_user(new_name) is not None:
        abort(409, f"A user named {new_name} already exists; choose another name.")
    if user.id is not None and fields.get("admin") is False and _is_last_admin(user):
        abort(409, f"{user.username} is the last admin; make another admin first.")
    user.username = new_name
    if "fullname" in fields:
        user.fullname = fields["fullname"]
    if "password" in fields:
        user.set_password(fields["password"])
    if "admin" in fields:
        user.is_admin = fields["admin"]


def _save(user: User, action: str):
    db.session.add(user)
    notify.announce(g.api_user, action, f"user {user.username}")
    db.session.commit()


@bp.get("/users/")
def users():
    limit = request.args.get("limit")
    query = db.select(User).order_by(User.username)
    if limit is not None:
        if not limit.isdigit() or int(limit) < 1:
            abort(400, {"limit": "limit must be a whole number of at least 1."})
        query = query.limit(int(limit))
    found = db.session.scalars(query).all()
    if parse_bool(request.args.get("detail", "false")):
        return {"users": [user_body(user) for user in found]}
    return {"users": [user.username for user in found]}


@bp.post("/users/")
def create_user():
    require_api_admin()
    fields = clean_fields(read_body(), required=("username", "fullname", "password"))
    if _get_user(fields["username"]) is not None:
        abort(409, f"A user named {fields['username']} already exists; choose another name.")
    user = User(username=fields["username"], is_admin=False)
    apply_fields(user, fields)
    _save(user, "created")
    body = user_body(user)
    return body, 201, {"Location": body["links"][0]["href"]}


@bp.get("/users/<name>")
def user(name):
    return user_body(get_user_or_404(name))


@bp.put("/users/<name>")
def replace_user(name):
    require_api_admin()
    fields = clean_fields(read_body(), required=("fullname", "password"))
    fields.setdefault("admin", False)  # a replacement names everything it keeps
    existing = _get_user(name)
    if existing is None:
        fields.setdefault("username", name)
        if _get_user(fields["username"]) is not None:
            abort(409, f"A user named {fields['username']} already exists; choose another name.")
        user = User(username=fields["username"], is_admin=False)
        apply_fields(user, fields)
        _save(user, "created")
        body = user_body(user)
        return body, 201, {"Location": body["links"][0]["href"]}
    apply_fields(existing, fields)
    _save(existing, "replaced")
    return user_body(existing)


@bp.patch("/users/<name>")
def update_user(name):
    require_api_admin()
    user = get_user_or_404(name)
    apply_fields(user, clean_fields(read_body(), required=()))
    _save(user, "updated")
    return user_body(user)


@bp.delete("/users/<name>")
def delete_user(name):
    require_api_admin()
    user = get_user_or_404(name)
    if _is_last_admin(user):
        abort(409, f"{user.username} is the last admin; make another admin first.")
    db.session.delete(user)
    notify.announce(g.api_user, "deleted", f"user {name}")
    db.session.commit()
    return "", 204
