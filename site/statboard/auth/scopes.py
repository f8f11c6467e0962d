"""The rights an API token can carry. A feature registers its own at import:

register_scope("series", "Post follower samples and import CSV files.")
"""

_scopes: dict[str, str] = {}


def register_scope(name: str, description: str) -> None:
    _scopes[name] = description


def all_scopes() -> dict[str, str]:
    return dict(sorted(_scopes.items()))


register_scope("series", "Send follower samples and CSV imports.")
register_scope("counters", "Create and bump counters.")
register_scope("tasks", "Start background tasks, follow and cancel them.")
