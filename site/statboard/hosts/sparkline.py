"""Small inline SVG sparklines, drawn on the server: no chart library for a tile."""

from markupsafe import Markup, escape

MAX_POINTS = 120


def _downsample(values: list[float], limit: int) -> list[float]:
    """Averages of equal slices, so a month of hours still draws `limit` points."""
    if len(values) <= limit:
        return values
    step = len(values) / limit  # > 1, so no slice is empty
    chunks = [values[int(i * step) : int((i + 1) * step)] for i in range(limit)]
    return [sum(chunk) / len(chunk) for chunk in chunks if chunk]


def sparkline(
    values: list[float | None],
    label: str,
    width: int = 120,
    height: int = 28,
    ceiling: float | None = None,
) -> Markup:
    """An SVG polyline of the values, scaled to `ceiling` (or the largest value)."""
    points = _downsample([v for v in values if v is not None], MAX_POINTS)
    title = f"<title>{escape(label)}</title>"
    if len(points) < 2:
        return Markup(
            f'<svg class="spark spark-empty" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}: not enough history yet">{title}</svg>'
        )
    top = max(ceiling or 0.0, max(points)) or 1.0
    pad = 2
    xs = [pad + i * (width - 2 * pad) / (len(points) - 1) for i in range(len(points))]
    ys = [height - pad - (v / top) * (height - 2 * pad) for v in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    area = f"{xs[0]:.1f},{height} {line} {xs[-1]:.1f},{height}"
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(label)}">{title}'
        f'<polygon class="spark-area" points="{area}"/>'
        f'<polyline class="spark-line" points="{line}"/></svg>'
    )
