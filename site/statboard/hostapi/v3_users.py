"""/v3/users/: list, create, read, replace, update and delete Statboard's users.

PUT replaces the whole record (password, fullname and admin, like POST: a 400 names
the missing ones) and creates a user that does not exist; PATCH changes the fields
it names.

Writes are for admins (403 before the body is even read). Bodies are forms or JSON.
Usernames, passwords and full names follow auth/users.py's rules, as everywhere.
The last admin can be neither deleted nor demoted (409).
"""

from flask import abort, g, request, url_for

from statboard import notify
from statboard.auth.models import User
from statboard.auth.users import (
    UserError,
    check_fullname,
    check_password,
    check_username,
    find_user,
)
from statboard.auth.users import create_user as new_user
from statboard.extensions import db
from statboard.hostapi.v3 import api_admin_required, bp

TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


def user_body(user: User) -> dict:
    return {
        "username": user.username,
        "fullname": user.fullname,
        "admin": user.is_admin,
        "links": [{"rel": "self", "href": url_for("hostapi_v3.user", name=user.username)}],
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


CHECKS = {"username": check_username, "fullname": check_fullname, "password": check_password}


def clean_fields(body: dict, required: tuple[str, ...]) -> dict:
    """The user fields of a body, checked; a 400 naming every field to fix otherwise."""
    fields, errors = {}, {}
    for name in required:
        if body.get(name) in (None, ""):
            errors[name] = f"Missing required parameter {name}."
    for name, check in CHECKS.items():
        value = body.get(name)
        if value is None or name in errors:
            continue
        if not isinstance(value, str):
            errors[name] = f"{name} must be text."
            continue
        try:
            fields[name] = check(value)
        except UserError as error:
            errors[name] = str(error)
    if "admin" in body:
        admin = parse_bool(body["admin"])
        if admin is None:
            errors["admin"] = "admin must be true or false."
        else:
            fields["admin"] = admin
    if errors:
        abort(400, errors)
    return fields


def get_user_or_404(name: str) -> User:
    user = find_user(name)
    if user is None:
        abort(404, f"There is no user {name}; GET /v3/users/ lists them.")
    return user


def _is_last_admin(user: User) -> bool:
    admins = db.session.scalar(db.select(db.func.count()).where(User.is_admin))
    return user.is_admin and admins <= 1


def apply_fields(user: User, fields: dict) -> None:
    new_name = fields.get("username", user.username)
    if new_name != user.username and find_user(new_name) is not None:
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


def _create(fields: dict):
    """A new user, made where every user is made (auth/users.py): the 201 answer."""
    if find_user(fields["username"]) is not None:
        abort(409, f"A user named {fields['username']} already exists; choose another name.")
    user = new_user(
        fields["username"], fields["password"], fields["fullname"], admin=fields.get("admin", False)
    )
    _save(user, "created")
    body = user_body(user)
    return body, 201, {"Location": body["links"][0]["href"]}


def _save(user: User, action: str):
    db.session.add(user)
    notify.announce(g.api_user, action, f"user {user.username}")
    db.session.commit()


@bp.get("/users/")
def users():
    limit = request.args.get("limit")
    query = db.select(User).order_by(User.username)
    if limit is not None:
        # ASCII digits only ("²".isdigit() is true), and no more than a 64-bit LIMIT takes.
        if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) < 2**63:
            abort(400, {"limit": "limit must be a whole number from 1 to 2**63 - 1."})
        query = query.limit(int(limit))
    found = db.session.scalars(query).all()
    if parse_bool(request.args.get("detail", "false")):
        return {"users": [user_body(user) for user in found]}
    return {"users": [user.username for user in found]}


@bp.post("/users/")
@api_admin_required
def create_user():
    return _create(clean_fields(read_body(), required=("username", "fullname", "password")))


@bp.get("/users/<name>")
def user(name):
    return user_body(get_user_or_404(name))


@bp.put("/users/<name>")
@api_admin_required
def replace_user(name):
    # A replacement names everything it keeps; PATCH is the partial update.
    fields = clean_fields(read_body(), required=("password", "fullname", "admin"))
    existing = find_user(name)
    if existing is None:
        if "username" not in fields:
            fields.update(clean_fields({"username": name}, required=()))
        return _create(fields)
    apply_fields(existing, fields)
    _save(existing, "replaced")
    return user_body(existing)


@bp.patch("/users/<name>")
@api_admin_required
def update_user(name):
    user = get_user_or_404(name)
    apply_fields(user, clean_fields(read_body(), required=()))
    _save(user, "updated")
    return user_body(user)


@bp.delete("/users/<name>")
@api_admin_required
def delete_user(name):
    user = get_user_or_404(name)
    if _is_last_admin(user):
        abort(409, f"{user.username} is the last admin; make another admin first.")
    db.session.delete(user)
    notify.announce(g.api_user, "deleted", f"user {name}")
    db.session.commit()
    return "", 204
