"""Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the shape,
peaks and dips of a series in a fixed number of points."""

from collections.abc import Sequence


def lttb(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """Indices of at most `threshold` points of (xs, ys) to draw; first and last kept."""
    n = len(xs)
    if threshold >= n or n <= 2:
        return list(range(n))
    if threshold < 3:
        return [0, n - 1][:threshold]
    every = (n - 2) / (threshold - 2)
    kept, a = [0], 0
    for i in range(threshold - 2):
        start, end = int(i * every) + 1, int((i + 1) * every) + 1
        # The average of the next bucket is the triangle's third corner.
        next_start, next_end = end, min(int((i + 2) * every) + 1, n)
        span = next_end - next_start
        avg_x = sum(xs[next_start:next_end]) / span
        avg_y = sum(ys[next_start:next_end]) / span
        ax, ay = xs[a], ys[a]
        best, best_area = start, -1.0
        for j in range(start, end):
            area = abs((ax - avg_x) * (ys[j] - ay) - (ax - xs[j]) * (avg_y - ay))
            if area > best_area:
                best, best_area = j, area
        kept.append(best)
        a = best
    kept.append(n - 1)
    return kept
