"""A keep-alive GET load whose figures can be checked against each other: every answer's
start and latency is kept, so that the slow ones can be told apart (one connection, or
all of them at once) and laid beside the server's own clock (time.monotonic is the
machine's, the same in every process).

    .venv/bin/python bench/keepalive_load.py http://127.0.0.1:5000/ [--seconds 3]
        [--connections 8] [--slow-ms 50] [--out answers.txt]

Unlike wrk, whose latency figures are corrected for coordinated omission (each answer
slower than twice the mean interval adds made-up ones at every interval below it, see
README, Performance), it reports what the connections saw. It stops after --seconds or
--max-requests, whichever comes first; an answer that takes longer than --timeout
stops the run with an error.
"""

import argparse
import asyncio
import statistics
import sys
import time
from urllib.parse import urlsplit


async def connection(n: int, url, until: float, args, answers: list) -> None:
    reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
    path = url.path or "/"
    request = (
        f"GET {path}{'?' + url.query if url.query else ''} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\nAccept: text/html\r\n\r\n"
    ).encode()
    try:
        while time.monotonic() < until and len(answers) < args.max_requests:
            start = time.monotonic()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), args.timeout)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await asyncio.wait_for(reader.readexactly(length), args.timeout)
            status = int(head.split(b" ", 2)[1])
            answers.append((start, time.monotonic() - start, n, status))
    finally:
        writer.close()


async def load(args) -> tuple[list, float]:
    url = urlsplit(args.url)
    answers: list = []
    began = time.monotonic()
    until = began + args.seconds
    await asyncio.gather(
        *(connection(n, url, until, args, answers) for n in range(args.connections))
    )
    return answers, began


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def report(answers: list, began: float, args) -> dict:
    elapsed = max(start + took for start, took, *_ in answers) - began
    lats = sorted(took * 1000 for _, took, *_ in answers)
    figures = {
        "requests": len(answers),
        "rps": len(answers) / elapsed,
        "mean_ms": statistics.fmean(lats),
        "p50_ms": percentile(lats, 0.5),
        "p99_ms": percentile(lats, 0.99),
        "max_ms": lats[-1],
        "errors": sum(1 for *_, status in answers if status >= 400),
    }
    # Little's law: connections always busy, so the mean latency is connections / rate.
    figures["expected_mean_ms"] = args.connections / figures["rps"] * 1000
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--slow-ms", type=float, default=50.0)
    parser.add_argument("--out", help="every answer: monotonic start, ms, connection, status")
    args = parser.parse_args(argv)
    answers, began = asyncio.run(load(args))
    figures = report(answers, began, args)
    print(
        "{requests} answers, {rps:,.0f} req/s, mean {mean_ms:.2f} ms (connections / rate: "
        "{expected_mean_ms:.2f}), p50 {p50_ms:.2f}, p99 {p99_ms:.2f}, max {max_ms:.1f} ms, "
        "{errors} errors".format(**figures)
    )
    for start, took, n, status in sorted(answers):
        if took * 1000 > args.slow_ms:
            print(f"  at {start - began:7.3f} s connection {n}: {took * 1000:7.1f} ms ({status})")
    if args.out:
        with open(args.out, "w") as out:
            out.writelines(f"{s:.4f} {t * 1000:.2f} {n} {st}\n" for s, t, n, st in answers)
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
