from statboard.pages import bp  # noqa: F401
