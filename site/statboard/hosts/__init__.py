"""Host status: this host's health and other hosts' reachability, and the v1-v3 host API.

- blocks.py: the "host" and "remote_hosts" block kinds; routes.py: their fragments
- metrics.py: psutil readings (uptime line, iostat table, the tile's numbers)
- history.py: samples, roll-ups and retention; remote.py: checks of other hosts
- api.py (/, /v1, /v2), api_v3.py and api_users.py (/v3): the wire-compatible API
- jobs.py: the iostat task and the periodic sampling, roll-up and check jobs
"""


def human_bytes(value: float, suffix: str = "B") -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("", "Ki", "Mi", "Gi", "Ti"):
        if abs(value) < 1024 or unit == "Ti":
            return f"{value:.0f} {unit}{suffix}" if not unit else f"{value:.1f} {unit}{suffix}"
        value /= 1024
    return f"{value:.1f} Pi{suffix}"


def init_app(app):
    from statboard.extensions import csrf
    from statboard.hosts import api, api_v3, blocks, jobs, models, routes  # noqa: F401

    app.register_blueprint(api.bp)
    app.register_blueprint(api_v3.bp)
    app.register_blueprint(routes.bp)
    # The JSON APIs authenticate by HTTP Basic auth or not at all, never by cookie.
    csrf.exempt(api.bp)
    csrf.exempt(api_v3.bp)
    app.add_template_filter(human_bytes, "host_bytes")
    blocks.register_kinds()
