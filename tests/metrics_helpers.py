"""Reading a /metrics answer with prometheus-client's own parser."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict, float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, metric: str, **labels) -> float | None:
    """The one sample called `metric` whose labels include `labels`; None if none, and an
    error if several match."""
    found = [v for n, got, v in samples(text) if n == metric and labels.items() <= got.items()]
    assert len(found) <= 1, f"{len(found)} samples of {metric} match {labels}"
    return found[0] if found else None


def total(text: str, metric: str, **labels) -> float:
    """The sum of every sample called `metric` whose labels include `labels`."""
    return sum(v for n, got, v in samples(text) if n == metric and labels.items() <= got.items())
