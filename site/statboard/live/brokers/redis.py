"""Redis pub/sub: events published by any process reach every event server.

One Lua script numbers an event (INCR) and publishes it, atomically: the order of
ids is the order every subscriber receives. The epoch lives in Redis beside the
number; a Redis that lost its data starts a new epoch, and pages resynchronise.
"""

import asyncio
import json
import logging
import os

import redis
import redis.asyncio

from statboard.live.brokers import Event

log = logging.getLogger(__name__)
PREFIX = "statboard:live:"
CHANNEL = PREFIX + "events"
SEQ, EPOCH = PREFIX + "seq", PREFIX + "epoch"
LISTENER = "statboard-live"  # the event servers' name in CLIENT LIST
RECONNECT_SECONDS = (0.2, 0.5, 1, 2, 5)

PUBLISH = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then epoch = ARGV[2]; redis.call('SET', KEYS[2], epoch) end
local seq = redis.call('INCR', KEYS[1])
local id = epoch .. '-' .. seq
redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[3])
return id
"""


class RedisBroker:
    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)
        self._publish = self.client.register_script(PUBLISH)
        self._tasks = []

    def publish(self, channel: str, type: str, data: dict) -> Event:
        body = json.dumps([channel, type, data], separators=(",", ":"))
        event_id = self._publish(keys=[SEQ, EPOCH], args=[CHANNEL, os.urandom(4).hex(), body])
        return Event(event_id, channel, type, data)

    def last_id(self) -> str:
        return _id(*self.client.mget(EPOCH, SEQ))

    def subscribe(self, loop, deliver, restart) -> None:
        listen = self._listen(deliver, restart)
        self._tasks.append(asyncio.run_coroutine_threadsafe(listen, loop))

    async def _listen(self, deliver, restart) -> None:
        attempt = 0
        while True:
            client = redis.asyncio.Redis.from_url(
                self.url, decode_responses=True, client_name=LISTENER
            )
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    attempt = 0
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            # Heard from here on: events before this id, or published
                            # while the connection was down, cannot be replayed.
                            restart(_id(*await client.mget(EPOCH, SEQ)))
                        elif message["type"] == "message":
                            event_id, _, body = message["data"].partition("\n")
                            deliver(Event(event_id, *json.loads(body)))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis went away: keep trying; pages resync
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("The live broker lost Redis (%s); retrying in %s s.", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                await client.aclose()

    def close(self) -> None:
        for future in self._tasks:
            future.cancel()
        self.client.close()


def _id(epoch: str | None, seq: str | None) -> str:
    return f"{epoch or '-'}-{int(seq or 0)}"
