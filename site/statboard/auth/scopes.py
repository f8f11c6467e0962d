"""The rights an API token can carry. A feature registers its own at import:

register_scope("series", "Post follower samples and import CSV files.")

A scope registered with admin_only=True is offered to admins only, and a token
carrying it grants it only while its owner is an admin: a token never grants more
than its owner may do (statboard.auth.credentials applies that rule).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    admin_only: bool = False

    def usable_by(self, user) -> bool:
        return user.is_admin or not self.admin_only


_scopes: dict[str, Scope] = {}


def register_scope(name: str, description: str, admin_only: bool = False) -> None:
    _scopes[name] = Scope(name, description, admin_only)


def all_scopes() -> dict[str, str]:
    """Every registered scope: name -> description."""
    return {name: scope.description for name, scope in sorted(_scopes.items())}


def find_scope(name: str) -> Scope | None:
    return _scopes.get(name)


def scopes_for(user) -> dict[str, str]:
    """The scopes `user` may put on a token: name -> description."""
    return {
        name: scope.description for name, scope in sorted(_scopes.items()) if scope.usable_by(user)
    }


register_scope("series", "Send follower samples and CSV imports.")
register_scope("counters", "Create and bump counters.", admin_only=True)
register_scope("metrics", "Scrape Prometheus metrics at /metrics.", admin_only=True)
