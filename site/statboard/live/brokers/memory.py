"""The embedded broker: events stay in this process.

The site's request threads publish; the event server's loop, in the same process,
delivers. With several worker processes, a page sees only the changes made through
its own worker: use Redis there.
"""

import os
import threading

from statboard.live.brokers import Event


class MemoryBroker:
    def __init__(self):
        self.epoch = os.urandom(4).hex()
        self._seq = 0
        self._lock = threading.Lock()
        self._listeners = []  # (loop, deliver)

    def publish(self, channel: str, type: str, data: dict) -> Event:
        # One lock around numbering and hand-over: listeners get events in id order.
        with self._lock:
            self._seq += 1
            event = Event(f"{self.epoch}-{self._seq}", channel, type, data)
            for loop, deliver in self._listeners:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(deliver, event)
        return event

    def last_id(self) -> str:
        return f"{self.epoch}-{self._seq}"

    def subscribe(self, loop, deliver, restart) -> None:
        with self._lock:  # nothing is published between the id and the first delivery
            loop.call_soon_threadsafe(restart, self.last_id())
            self._listeners.append((loop, deliver))

    def close(self) -> None:
        with self._lock:
            self._listeners.clear()
