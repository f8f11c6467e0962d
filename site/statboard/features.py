"""The feature packages, in the order create_app wires them.

Each has an init_app(app) that registers its blueprint, its block kinds and its
CLI commands. Order matters only for the demo page (kinds appear in this order).
"""

from statboard import (
    alerts,
    auth,
    backup,
    badges,
    counters,
    embeds,
    errors,
    hostapi,
    hosts,
    images,
    live,
    metrics,
    notify,
    openapi,
    pages,
    series,
    storage,
    tasks,
)

FEATURES = [
    errors,
    notify,
    live,
    tasks,
    storage,
    auth,
    pages,
    images,
    series,
    hosts,
    hostapi,
    counters,
    alerts,  # after the kinds it sets rules on
    metrics,  # after counters: it counts the counter API's requests too
    badges,
    embeds,
    openapi,
    backup,  # after every feature: its tables are all known
]
