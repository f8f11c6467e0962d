"""Brokers: how published events reach the event servers, chosen by BROKER_URL.

    memory://               in-process: the site process publishes and streams (default)
    redis://host:port/db    Redis pub/sub: any process publishes, every event server hears

A broker numbers events in the order it publishes them. An id is "<epoch>-<seq>":
the epoch changes when the numbering starts afresh (a restart of the process, or of
Redis), so a client holding an id of another epoch knows it cannot be caught up.
"""

import json
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    channel: str
    type: str
    data: dict

    @property
    def seq(self) -> int:
        return int(self.id.rpartition("-")[2])

    @property
    def epoch(self) -> str:
        return self.id.rpartition("-")[0]

    def sse(self) -> bytes:
        """The event as the stream sends it: its id, its type, its data as JSON."""
        data = json.dumps({"channel": self.channel, **self.data}, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.type}\ndata: {data}\n\n".encode()


class Broker(Protocol):
    def publish(self, channel: str, type: str, data: dict) -> Event:
        """Number the event and send it to every event server; safe from any thread."""

    def last_id(self) -> str:
        """The id of the last event published (a page embeds it to catch up from)."""

    def subscribe(self, loop, deliver, restart) -> None:
        """Call deliver(event), in the event loop `loop`, for every event from now on.
        Before the first, and again whenever events may have been lost (a connection to
        Redis broke), call restart(last_id) there: the id before those delivered next."""

    def close(self) -> None: ...


def from_url(url: str) -> Broker:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from statboard.live.brokers.memory import MemoryBroker

        return MemoryBroker()
    if scheme in ("redis", "rediss", "unix"):
        from statboard.live.brokers.redis import RedisBroker

        return RedisBroker(url)
    raise ValueError(
        f"STATBOARD_BROKER_URL {url!r} is not a broker: use memory:// or redis://host:port/db."
    )
