"""Host status: this host's health and other hosts' reachability.

- blocks.py: the "host" and "remote_hosts" block kinds; routes.py: their fragments
- metrics.py: psutil readings (uptime line, iostat table, the tile's numbers)
- history.py: samples, roll-ups and retention; remote.py: checks of other hosts
- jobs.py: the iostat task and the periodic sampling, roll-up and check jobs

The wire-compatible /v1-/v3 API that reads these metrics is statboard.hostapi.
"""


def human_bytes(value: float, suffix: str = "B") -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("", "Ki", "Mi", "Gi", "Ti"):
        if abs(value) < 1024 or unit == "Ti":
            return f"{value:.0f} {unit}{suffix}" if not unit else f"{value:.1f} {unit}{suffix}"
        value /= 1024
    return f"{value:.1f} Pi{suffix}"


def init_app(app):
    from statboard.hosts import blocks, jobs, models, routes  # noqa: F401

    app.register_blueprint(routes.bp)
    app.add_template_filter(human_bytes, "host_bytes")
    blocks.register_kinds()
