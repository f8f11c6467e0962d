"""The event server's switchboard, in its event loop: fans events out to streams.

It keeps the last REPLAY events it heard, in id order, so that a page that
reconnects (or that was rendered a moment before its stream opened) is sent what it
missed. When it cannot be, because the events are older than the hub's memory or of
another epoch, the page is told to resynchronise instead.
"""

from collections import defaultdict, deque
from typing import Protocol

from statboard.live.brokers import Event

# What a stream is told besides events: a comment while idle, to fetch a new token, to
# refetch the page (events may have been lost).
PING, RENEW = b": ping\n\n", b"event: renew\ndata: {}\n\n"
RESYNC = b"event: resync\ndata: {}\n\n"


def parse_id(event_id: str | None) -> tuple[str, int] | None:
    epoch, _, seq = (event_id or "").rpartition("-")
    return (epoch, int(seq)) if epoch and seq.isdigit() else None


class Reader(Protocol):
    """One open page: the channels it reads, and put(item) for what is to be sent to
    it: an event as (seq, bytes), encoded once for all its readers, or PING, RESYNC."""

    channels: frozenset

    def put(self, item: tuple[int, bytes] | bytes) -> None: ...


class Hub:
    def __init__(self, broker, replay: int):
        self.broker = broker
        self.recent = deque(maxlen=replay)
        self.streams = defaultdict(set)  # channel -> readers
        self.start = None  # (epoch, seq) of the broker when the hub began to listen

    def listen(self, loop) -> None:
        self.broker.subscribe(loop, self.deliver, self.restart)

    def restart(self, last_id: str) -> None:
        """The broker hears events after `last_id` from now on: until then, none can be
        replayed; and after a gap, open pages may have missed some."""
        again = self.start is not None
        self.start = parse_id(last_id)
        self.recent.clear()
        if again:
            for stream in set().union(*self.streams.values()):
                stream.put(RESYNC)

    def deliver(self, event: Event) -> None:
        if self.start is not None and event.epoch != self.start[0]:  # Redis started afresh
            self.start, _ = (event.epoch, event.seq - 1), self.recent.clear()
        self.recent.append(event)
        readers = self.streams.get(event.channel)
        if readers:
            encoded = (event.seq, event.sse())
            for stream in readers:
                stream.put(encoded)

    def ping(self) -> None:
        """A comment to every open stream, so that idle connections stay open."""
        for stream in set().union(*self.streams.values()):
            stream.put(PING)

    def open(self, reader: Reader) -> None:
        for channel in reader.channels:
            self.streams[channel].add(reader)

    def close(self, reader: Reader) -> None:
        for channel in reader.channels:
            readers = self.streams.get(channel)
            if readers is not None:
                readers.discard(reader)
                if not readers:
                    del self.streams[channel]

    def missed(self, since: str | None, channels) -> list[Event] | None:
        """The events on `channels` after `since`, or None if the hub cannot tell them all."""
        last = parse_id(since)
        if last is None or self.start is None or last[0] != self.start[0]:
            return None
        heard_from = self.start[1]  # everything after this id has been heard...
        if len(self.recent) == self.recent.maxlen:  # ...and kept, unless it was pushed out
            heard_from = max(heard_from, self.recent[0].seq - 1)
        if last[1] < heard_from:
            return None
        return [e for e in self.recent if e.seq > last[1] and e.channel in channels]
