"""The block kinds pages itself brings: text and event."""

from statboard.pages import registry
from statboard.pages.kinds import event, text


def register_kinds() -> None:
    registry.register(text.KIND)
    registry.register(event.KIND)
